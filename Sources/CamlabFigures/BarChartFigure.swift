import CamlabImaging
import CamlabMethods

extension Figures {
    /// The numbers behind CAM, one bar per channel k: the GAP outputs F^k, the class weights
    /// w_k^c and their products w_k^c F^k, whose sum plus the bias is the class score y^c.
    public static func bars(_ subject: Subject, classIndex: Int? = nil, layer: String? = nil, title heading: String? = nil,
                            lab: FigureLab, style: FigureStyle = FigureStyle()) throws -> Canvas {
        let explanation = try lab.explain(subject, method: .cam, classIndex: classIndex, layer: layer)
        let pooled = explanation.globalAveragePool!, weights = explanation.classWeights!
        let contributions = zip(weights, pooled).map { $0 * $1 }
        let score = explanation.logits[explanation.classIndex]
        let bias = score - contributions.reduce(0, +)
        let series: [(title: String, values: [Float])] = [
            ("GAP outputs F^k = (1/Z) Σ_ij A^k_ij", pooled),
            ("class weights w_k^c of “\(explanation.className)”", weights),
            ("contributions w_k^c F^k  (Σ_k w_k^c F^k + b^c = y^c = \(formatted(score, maximumDecimals: 2)), b^c = \(formatted(bias, maximumDecimals: 2)))", contributions),
        ]
        let channels = pooled.count
        let barWidth = max(4, min(14, 720 / channels)), plotWidth = barWidth * channels
        let plotHeight = 150
        let allTicks = series.map { Axes.niceTicks(from: Double(min(0, $0.values.min()!)), to: Double(max(0, $0.values.max()!)), count: 4) }
        let tickWidth = allTicks.map { Axes.labelWidth($0, style: style) }.max()!
        let (margin, gap) = (style.margin, style.gap)
        let headingHeight = style.size(of: [style.headingLine("Ag")]).height
        let xLabels = Axes.xLabelHeight(style: style)
        let title = [style.titleLine(heading ?? "The numbers behind CAM for “\(explanation.className)”")]
        let subtitle = [style.bodyLine("\(subject.name) · class \(explanation.classSummary)"),
                        style.noteLine(explanationSource(explanation, lab: lab) + " · \(channels) channels")]
        let strongest = contributions.indices.sorted { contributions[$0] > contributions[$1] }.prefix(3)
        let notes = [style.smallLine("vermilion: positive, blue: negative; framed: the three largest contributions, "
                                     + strongest.map { "k = \($0) (\(signed(contributions[$0])))" }.joined(separator: ", ")),
                     style.smallLine("x: channel k")]
        let titleSize = style.size(of: title + subtitle), notesSize = style.size(of: notes)
        let plotLeft = margin + tickWidth + 8
        let seriesWidths = series.map { style.typeface.measure($0.title, font: style.heading).width }
        let width = max(plotLeft + plotWidth, margin + (seriesWidths + [titleSize.width, notesSize.width]).max()!) + margin
        let panelHeight = headingHeight + 8 + plotHeight + xLabels
        let height = margin + titleSize.height + gap + series.count * panelHeight + (series.count - 1) * gap + gap + notesSize.height + margin

        let canvas = Canvas(width: width, height: height, typeface: style.typeface)
        var top = canvas.draw(title + subtitle, x: margin, top: margin, spacing: style.lineSpacing) + gap
        for (index, entry) in series.enumerated() {
            canvas.text(entry.title, x: margin, top: top, font: style.heading, color: style.ink)
            let ticks = allTicks[index]
            let axes = Axes(left: plotLeft, top: top + headingHeight + 8, width: plotWidth, height: plotHeight,
                            xRange: 0...Double(channels), yRange: ticks.first!...ticks.last!)
            let xTicks = stride(from: 0, to: channels, by: channels > 16 ? 8 : 1).map {
                (value: Double($0) + 0.5, label: "\($0)")
            }
            axes.draw(on: canvas, yTicks: ticks, xTicks: xTicks, style: style)
            let zero = axes.y(0)
            for (k, value) in entry.values.enumerated() {
                let end = axes.y(Double(value))
                canvas.fill(x: axes.x(Double(k)) + 1, y: min(zero, end), width: barWidth - 2, height: max(1, abs(end - zero)),
                            color: value >= 0 ? style.positive : style.negative)
                if strongest.contains(k) {
                    canvas.stroke(x: axes.x(Double(k)), y: min(zero, end) - 1, width: barWidth, height: abs(end - zero) + 3, color: style.ink)
                }
            }
            canvas.fill(x: axes.left, y: zero, width: axes.width, height: 1, color: style.ink)
            top += panelHeight + gap
        }
        canvas.draw(notes, x: margin, top: top, spacing: style.lineSpacing)
        return canvas
    }
}
