import CamlabImaging
import CamlabMethods

/// One row of a comparison grid: a subject and the class to explain (nil: the predicted class).
public struct ComparisonRow: Sendable {
    public var subject: Subject
    public var classIndex: Int?

    public init(subject: Subject, classIndex: Int? = nil) {
        self.subject = subject
        self.classIndex = classIndex
    }
}

extension Figures {
    /// Images × methods: each row one image (and class), each column one method, one shared colorbar.
    public static func comparison(_ rows: [ComparisonRow], methods: [MethodName], title: String? = nil,
                                  layer: String? = nil, lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        guard !rows.isEmpty else { throw FigureError("A comparison needs at least one image; pass some with --image.") }
        guard !methods.isEmpty else { throw FigureError("A comparison needs at least one method; pass some with --methods.") }
        for method in methods { try requireMap(method) }
        let side = style.cellSide
        var panels: [[PanelGrid.Panel]] = [], labels: [[TextLine]] = []
        var outlinedClasses: [String] = []
        let explained = try rows.map { row in
            try methods.map { try lab.explain(row.subject, method: $0, classIndex: row.classIndex, layer: layer) }
        }
        // One scale per method (column) when shared: raw maps of different methods are in different units.
        let columns = methods.indices.map { column in Explanation.sharedScale(explained.map { $0[column] }) }
        for (rowIndex, (row, explanations)) in zip(rows, explained).enumerated() {
            let explained = explanations[0]
            let outlined = row.subject.outlineClasses(explaining: explained.className)
            outlinedClasses += outlined
            var cells = [PanelGrid.Panel(picture: row.subject.picture(side: side, outlining: outlined, style: style))]
            for (column, explanation) in explanations.enumerated() {
                let map = try Display.heatmap(explanation, shared: columns[column][rowIndex], style: style)
                let overlay = Display.overlay(row.subject.image, map: map, side: side, style: style)
                cells.append(PanelGrid.Panel(picture: row.subject.outlined(overlay, classes: outlined, style: style),
                                             caption: Display.rawCaption(explanation, style: style)))
            }
            panels.append(cells)
            var label = [style.headingLine(row.subject.name),
                         style.bodyLine("class: \(explained.className)"),
                         style.noteLine("p = \(probability(explained))")]
            if let share = row.subject.shareLabel(of: explained.map!.scalars, explaining: explained.className) {
                label.append(style.noteLine("\(methods[0].rawValue): " + share))
            }
            if let truth = row.subject.truth, row.subject.masks[explained.className] == nil {
                label.append(style.noteLine("shows: \(truth)"))
            }
            labels.append(label)
        }
        let anyMasks = rows.contains { row in !row.subject.masks.isEmpty }
        let subject = anyMasks ? Subject(name: "", image: rows[0].subject.image,
                                         masks: rows.reduce(into: [:]) { $0.merge($1.subject.masks) { first, _ in first } }) : nil
        let heading = title ?? methods.map(\.title).joined(separator: " vs ")
        return PanelGrid(title: [style.titleLine(heading)],
                         subtitle: [style.noteLine((style.sharesScale ? "shared scale: the maps of each column divided by the largest of them · "
                                                                      : "each map scaled to [0, 1] on its own; under it the raw peak that 1 stands for · ")
                                                   + "each row explains the class named on its left · "
                                                   + (layer.map { "layer \($0)" } ?? "layer \(lab.network.architecture.targetLayer)")
                                                   + " · model: \(lab.modelName)")],
                         columnHeaders: [[style.headingLine("input")]] + methods.map { [style.headingLine($0.title)] },
                         rowLabels: labels, rows: panels, colorbar: Colorbar(colormap: style.colormap, style: style),
                         notes: notes(methods: methods, subject: subject, outlined: Array(Set(outlinedClasses)).sorted(), style: style),
                         style: style).render()
    }
}
