import CamlabImaging
import CamlabMethods

extension Figures {
    /// Guided backprop and Guided Grad-CAM beside the input and the Grad-CAM map they combine:
    /// fine-grained gradients × coarse class localization.
    public static func guided(_ subject: Subject, classIndex: Int? = nil, layer: String? = nil, title: String? = nil,
                              lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        let gradcam = try lab.explain(subject, method: .gradcam, classIndex: classIndex, layer: layer)
        let chosen = gradcam.classIndex
        let guided = try lab.explain(subject, method: .guided, classIndex: chosen, layer: layer)
        let guidedGradcam = try lab.explain(subject, method: .guidedGradcam, classIndex: chosen, layer: layer)
        let side = style.panelSide
        let outlined = subject.outlineClasses(explaining: gradcam.className)
        let panels = [
            PanelGrid.Panel(picture: subject.picture(side: side, outlining: outlined, style: style),
                            caption: [style.smallLine(subject.name)]),
            PanelGrid.Panel(picture: subject.outlined(Display.overlay(subject.image, map: try Display.heatmap(gradcam.map!),
                                                                      side: side, style: style), classes: outlined, style: style),
                            caption: [style.smallLine("coarse: where")]),
            PanelGrid.Panel(picture: Display.enlarged(try Display.deprocessed(guided.inputGradient!), side: side),
                            caption: [style.smallLine("fine, barely class-specific")]),
            PanelGrid.Panel(picture: Display.enlarged(try Display.deprocessed(guidedGradcam.inputGradient!), side: side),
                            caption: [style.smallLine("fine and class-specific")]),
        ]
        var notes = style.showsEquation ? [MethodName.guided, .guidedGradcam].map { style.bodyLine("\($0.title):  \($0.equation)") } : []
        notes.append(style.smallLine("gradients shown as pytorch-grad-cam's deprocess_image: (x − mean) / (std + 1e-5) × 0.1 + 0.5, clipped to [0, 1]"))
        notes += Self.notes(methods: [], subject: subject, outlined: outlined, style: style)
        return PanelGrid(title: [style.titleLine(title ?? "Guided Grad-CAM for “\(gradcam.className)”")],
                         subtitle: [style.bodyLine("class \(gradcam.classSummary)"),
                                    style.noteLine(explanationSource(gradcam, lab: lab))],
                         columnHeaders: [[style.headingLine("input")], [style.headingLine("Grad-CAM")],
                                         [style.headingLine("Guided backprop")], [style.headingLine("Guided Grad-CAM")]],
                         rows: [panels], notes: notes, style: style).render()
    }
}
