import CamlabCore
import Foundation
import CamlabImaging
import CamlabMethods

extension Figures {
    /// CAM as a weighted combination of feature maps, with real numbers: the `count` feature maps
    /// A^k that contribute most (by |w_k^c F^k|), sorted by contribution and labelled with F^k and
    /// w_k^c, beside the input and the resulting map M^c = Σ_k w_k^c A^k.
    public static func gallery(_ subject: Subject, classIndex: Int? = nil, layer: String? = nil, count: Int = 8, title: String? = nil,
                               lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        let explanation = try lab.explain(subject, method: .cam, classIndex: classIndex, layer: layer)
        let layerName = explanation.layers[0]
        let maps = try lab.featureMaps(subject, layer: layerName)
        let pooled = explanation.globalAveragePool!, weights = explanation.classWeights!
        let channels = pooled.count
        let contributions = zip(weights, pooled).map { $0 * $1 }
        let shown = contributions.indices.sorted { abs(contributions[$0]) > abs(contributions[$1]) }
            .prefix(max(1, min(count, channels))).sorted { contributions[$0] > contributions[$1] }
        let (height, width) = (maps.shape[1], maps.shape[2])
        let plane = height * width
        // One scale for every tile, so brighter means a larger activation across tiles.
        let largest = max(shown.map { k in maps.scalars[(k * plane)..<((k + 1) * plane)].max()! }.max()!, 1e-12)
        let tileSide = style.tileSide
        let tiles = shown.map { k -> PanelGrid.Panel in
            let values = maps.scalars[(k * plane)..<((k + 1) * plane)].map { max(0, $0) / largest }
            let heatmap = Heatmap(width: width, height: height, values: Array(values))
            let size = Display.size(width: width, height: height, side: tileSide)
            // Feature maps are data on a coarse grid: shown as crisp cells, not smoothed.
            let picture = heatmap.colored(with: style.colormap).resized(toWidth: size.width, height: size.height, method: .nearestNeighbor)
            return PanelGrid.Panel(picture: picture, caption: [
                TextLine("A^\(k)", font: style.heading, color: style.ink),
                TextLine("F = \(String(format: "%.2f", Double(pooled[k])))  w = \(signed(weights[k]))", font: style.small, color: style.ink),
                TextLine("w·F = \(signed(contributions[k]))", font: style.small, color: contributions[k] >= 0 ? style.positive : style.negative),
            ])
        }
        // Four tiles a row for the usual handful, eight when a whole layer is shown.
        let columns = tiles.count <= 8 ? min(4, tiles.count) : 8
        let tileRows = stride(from: 0, to: tiles.count, by: columns).map { Array(tiles[$0..<min($0 + columns, tiles.count)]) }
        let tileGrid = PanelGrid(columnHeaders: [], rows: tileRows,
                                 colorbar: Colorbar(colormap: style.colormap, style: style, range: 0...largest),
                                 style: withoutMargins(style)).render().rgbImage

        let side = style.panelSide
        let outlined = subject.outlineClasses(explaining: explanation.className)
        let result = subject.outlined(Display.overlay(subject.image, map: try Display.heatmap(explanation.map!), side: side, style: style),
                                      classes: outlined, style: style)
        let total = contributions.reduce(0, +)
        let score = explanation.logits[explanation.classIndex]
        return PanelGrid(
            title: [style.titleLine(title ?? "CAM is a weighted sum of feature maps: M^c = Σ_k w_k^c A^k")],
            subtitle: [style.bodyLine("\(subject.name) · class \(explanation.classSummary)"),
                       style.noteLine("layer \(layerName), \(channels) feature maps; the \(shown.count) with the largest |w_k^c F^k|, sorted by contribution · model: \(lab.modelName)")],
            columnHeaders: [[style.headingLine("input")],
                            [style.headingLine("feature maps A^k (one shared scale)")],
                            [style.headingLine("M^c over the image")]],
            rows: [[PanelGrid.Panel(picture: subject.picture(side: side, outlining: outlined, style: style)),
                    PanelGrid.Panel(picture: tileGrid),
                    PanelGrid.Panel(picture: result, caption: [style.smallLine("all \(channels) maps, ReLU, scaled to 0…1")])]],
            colorbar: Colorbar(colormap: style.colormap, style: style),
            notes: [style.bodyLine("F^k = (1/Z) Σ_ij A^k_ij (GAP output),  w_k^c = classifier weight,  y^c = Σ_k w_k^c F^k + b^c"),
                    style.bodyLine("here Σ_k w_k^c F^k = \(formatted(total, maximumDecimals: 2)) over all \(channels) maps, b^c = \(formatted(score - total, maximumDecimals: 2)), y^c = \(formatted(score, maximumDecimals: 2))")]
                + notes(methods: [], subject: subject, outlined: outlined, style: style),
            style: style).render()
    }

    /// The style for a figure nested in another one: no outer margin.
    static func withoutMargins(_ style: FigureStyle) -> FigureStyle {
        var nested = style
        nested.margin = 0
        return nested
    }
}
