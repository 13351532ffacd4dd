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
        for classIndex in classIndices {
            let supporting = try lab.explain(subject, method: .gradcam, classIndex: classIndex, layer: layer)
            let opposing = try lab.explain(subject, method: .counterfactual, classIndex: classIndex, layer: layer)
            names.append(supporting.className)
            let outlines = subject.outlineClasses(explaining: supporting.className)
            func panel(_ explanation: CamlabMethods.Explanation) throws -> PanelGrid.Panel {
                let overlay = Display.overlay(subject.image, map: try Display.heatmap(explanation.map!), side: side, style: style)
                return PanelGrid.Panel(picture: subject.outlined(overlay, classes: outlines, style: style),
                                       caption: explanation.isEmpty ? [style.smallLine("empty map")] : [])
            }
            rows.append([PanelGrid.Panel(picture: subject.picture(side: side, outlining: outlines, style: style)),
                         try panel(supporting), try panel(opposing)])
            labels.append([style.headingLine("class \(supporting.className)"),
                           style.noteLine("p = \(probability(supporting))")])
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
