import CamlabImaging
import CamlabMethods

extension Figures {
    /// For each class in `classIndices`: what speaks for it (Grad-CAM of y^c) and what speaks
    /// against it (counterfactual Grad-CAM, of −y^c). On an image with two objects, the evidence
    /// against one class is the other object.
    public static func counterfactual(_ subject: Subject, classIndices: [Int], layer: String? = nil, title: String? = nil,
                                      lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        guard !classIndices.isEmpty else { throw FigureError("A counterfactual figure needs at least one class.") }
        let side = style.panelSide
        var rows: [[PanelGrid.Panel]] = [], labels: [[TextLine]] = []
        var names: [String] = []
        let explained = try classIndices.map { classIndex in
            (try lab.explain(subject, method: .gradcam, classIndex: classIndex, layer: layer),
             try lab.explain(subject, method: .counterfactual, classIndex: classIndex, layer: layer))
        }
        // For and against are Grad-CAM of y^c and of −y^c: the same units, one shared scale.
        let shared = Explanation.sharedScale(explained.flatMap { [$0.0, $0.1] })
        for (index, (supporting, opposing)) in explained.enumerated() {
            names.append(supporting.className)
            let outlines = subject.outlineClasses(explaining: supporting.className)
            func panel(_ explanation: CamlabMethods.Explanation, _ sharedMap: [Float]?) throws -> PanelGrid.Panel {
                let map = try Display.heatmap(explanation, shared: sharedMap, style: style)
                let overlay = Display.overlay(subject.image, map: map, side: side, style: style)
                return PanelGrid.Panel(picture: subject.outlined(overlay, classes: outlines, style: style),
                                       caption: Display.rawCaption(explanation, style: style))
            }
            rows.append([PanelGrid.Panel(picture: subject.picture(side: side, outlining: outlines, style: style)),
                         try panel(supporting, shared[2 * index]), try panel(opposing, shared[2 * index + 1])])
            labels.append([style.headingLine("class \(supporting.className)"),
                           style.noteLine("p = \(probability(supporting))")]
                          + [("for", supporting), ("against", opposing)].compactMap { word, explanation in
                              subject.shareLabel(of: explanation.map!.scalars, explaining: supporting.className).map { style.noteLine("\(word): " + $0) }
                          })
        }
        return PanelGrid(title: [style.titleLine(title ?? "Evidence for and against each class (counterfactual Grad-CAM)")],
                         subtitle: [style.bodyLine("\(subject.name): \(names.joined(separator: " and "))"),
                                    style.noteLine("layer \(layer ?? lab.network.architecture.targetLayer) · model: \(lab.modelName)")],
                         columnHeaders: [[style.headingLine("input")], [style.headingLine("for the class")],
                                         [style.headingLine("against the class")]],
                         rowLabels: labels, rows: rows, colorbar: Colorbar(colormap: style.colormap, style: style),
                         notes: notes(methods: [.gradcam, .counterfactual], subject: subject, outlined: names, style: style),
                         style: style).render()
    }
}
