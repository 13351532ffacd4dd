import CamlabImaging
import CamlabMethods

extension Figures {
    /// The tutorial's picture, `np.hstack((img, show_cam_on_image(img, cam, use_rgb=True)))`: the
    /// photo as the network saw it and the overlay, side by side at the photo's own pixels (small
    /// ones enlarged to the panel size by whole factors, large ones shrunk to `maximumSide`),
    /// labelled with the class, the layer and the recipe.
    public static func sideBySide(_ subject: Subject, method: MethodName, classIndex: Int? = nil, layer: String? = nil,
                                  preprocessing: String = "", title: String? = nil, lab: FigureLab,
                                  style: FigureStyle = FigureStyle(), maximumSide: Int = 448) throws -> Canvas {
        try requireMap(method)
        let explanation = try lab.explain(subject, method: method, classIndex: classIndex, layer: layer)
        let map = try Display.heatmap(explanation.map!)
        let image = subject.image
        let overlay = image.overlaid(with: map, colormap: style.colormap, imageWeight: style.imageWeight)
        let side = max(style.panelSide, min(max(image.width, image.height), maximumSide))
        let outlined = subject.outlineClasses(explaining: explanation.className)
        func shown(_ picture: RGBImage) -> RGBImage {
            subject.outlined(Display.enlarged(picture, side: side), classes: outlined, style: style)
        }
        let raw = explanation.raw.map { raw -> String in
            let values = raw.scalars
            func number(_ value: Float) -> String { String(format: "%.3g", Double(value)).replacingOccurrences(of: "-", with: "−") }
            return "raw map from \(number(values.min() ?? 0)) to \(number(values.max() ?? 0)), scaled to 0 … 1"
        }
        let predicted = explanation.predictedClass
        var subtitle = [style.bodyLine("class \(explanation.classSummary)"
            + (predicted == explanation.classIndex ? " (predicted)" : "; predicted \(lab.network.classes[predicted])"))]
        subtitle.append(style.noteLine(explanationSource(explanation, lab: lab)
            + " · \(image.width)×\(image.height) input" + (preprocessing.isEmpty ? "" : " (\(preprocessing))")))
        var notes = Self.notes(methods: [method], subject: subject, outlined: outlined, style: style)
        notes.insert(style.smallLine("overlay as show_cam_on_image: heatmap = colormap(uint8(255 · map)) / 255,"
            + " cam = (1 − w) · heatmap + w · img, then cam / max(cam)"), at: notes.count - 1)
        return PanelGrid(title: [style.titleLine(title ?? headline(method, className: explanation.className))],
                         subtitle: subtitle,
                         columnHeaders: [[style.headingLine("img")], [style.headingLine("show_cam_on_image(img, cam)")]],
                         rows: [[PanelGrid.Panel(picture: shown(image), caption: [style.smallLine(subject.name)]),
                                 PanelGrid.Panel(picture: shown(overlay), caption: raw.map { [style.smallLine($0)] } ?? [])]],
                         colorbar: Colorbar(colormap: style.colormap, style: style), notes: notes, style: style).render()
    }
}
