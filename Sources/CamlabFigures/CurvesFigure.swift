import CamlabImaging

extension Figures {
    /// Training curves: the loss and the accuracy per epoch, side by side.
    public static func curves(_ log: TrainingLog, title: String = "Training", style: FigureStyle = FigureStyle()) -> Canvas {
        let epochs = log.epochs.map { Double($0.epoch) }
        let xRange = (epochs.first! - 0.5)...(epochs.last! + 0.5)
        let xStep = max(1, Int(Axes.niceTicks(from: epochs.first!, to: epochs.last!, count: 8).adjacentPairs().first.map { $1 - $0 } ?? 1))
        let xTicks = stride(from: Int(epochs.first!), through: Int(epochs.last!), by: xStep).map { (value: Double($0), label: "\($0)") }

        struct Series { var name: String; var values: [(Double, Double)]; var color: RGB }
        let loss = [Series(name: "training loss", values: log.epochs.map { (Double($0.epoch), $0.loss) }, color: style.positive)]
        var accuracy: [Series] = []
        let train = log.epochs.compactMap { epoch in epoch.trainAccuracy.map { (Double(epoch.epoch), $0) } }
        let test = log.epochs.compactMap { epoch in epoch.testAccuracy.map { (Double(epoch.epoch), $0) } }
        if !train.isEmpty { accuracy.append(Series(name: "training accuracy", values: train, color: style.positive)) }
        if !test.isEmpty { accuracy.append(Series(name: "test accuracy", values: test, color: style.negative)) }
        let panels: [(heading: String, series: [Series], ticks: [Double])] = [
            ("loss per epoch", loss, lossTicks(log.epochs.map(\.loss))),
        ] + (accuracy.isEmpty ? [] : [("accuracy per epoch", accuracy, [0, 0.25, 0.5, 0.75, 1])])

        let (margin, gap) = (style.margin, style.gap)
        let (plotWidth, plotHeight) = (380, 240)
        let tickWidth = panels.map { Axes.labelWidth($0.ticks, style: style) }.max()!
        let panelWidth = tickWidth + 8 + plotWidth
        let headingHeight = style.size(of: [style.headingLine("Ag")]).height
        let legendHeight = style.size(of: [style.smallLine("Ag")]).height
        let header = [style.titleLine(title),
                      style.noteLine("\(log.epochs.count) epochs" + (log.epochs.compactMap(\.seconds).isEmpty ? "" :
                        ", \(formatted(Float(log.epochs.compactMap(\.seconds).reduce(0, +)), maximumDecimals: 1)) s of training"))]
        let headerSize = style.size(of: header)
        let xLabelHeight = Axes.xLabelHeight(style: style)
        let footer = [style.smallLine("x: epoch")]
        let width = max(panels.count * panelWidth + (panels.count - 1) * 2 * gap, headerSize.width) + 2 * margin
        // Below the legend, room for half a tick label: the top label is centred on the frame's edge.
        let plotTop = margin + headerSize.height + gap + headingHeight + 6 + legendHeight + 6 + legendHeight / 2 + 2
        let height = plotTop + plotHeight + xLabelHeight + gap + style.size(of: footer).height + margin

        let canvas = Canvas(width: width, height: height, typeface: style.typeface)
        canvas.draw(header, x: margin, top: margin, spacing: style.lineSpacing)
        for (index, panel) in panels.enumerated() {
            let left = margin + index * (panelWidth + 2 * gap)
            let headingTop = margin + headerSize.height + gap
            canvas.text(panel.heading, x: left, top: headingTop, font: style.heading, color: style.ink)
            // Legend: a colour swatch and the series name, in a line under the heading.
            var legendX = left
            for series in panel.series {
                let legendTop = headingTop + headingHeight + 6
                canvas.fill(x: legendX, y: legendTop + legendHeight / 2 - 2, width: 18, height: 4, color: series.color)
                canvas.text(series.name, x: legendX + 24, top: legendTop, font: style.small, color: style.ink)
                legendX += 24 + canvas.measure(series.name, font: style.small).width + 16
            }
            let axes = Axes(left: left + tickWidth + 8, top: plotTop, width: plotWidth, height: plotHeight,
                            xRange: xRange, yRange: panel.ticks.first!...(panel.ticks.last! + 0.03 * (panel.ticks.last! - panel.ticks.first!)))
            axes.draw(on: canvas, yTicks: panel.ticks, xTicks: xTicks, style: style)
            for series in panel.series {
                for (start, end) in series.values.adjacentPairs() {
                    canvas.line(from: (axes.x(start.0), axes.y(start.1)), to: (axes.x(end.0), axes.y(end.1)),
                                color: series.color, thickness: 2)
                }
                for point in series.values {
                    canvas.disc(centerX: axes.x(point.0), y: axes.y(point.1), diameter: 7, color: series.color)
                }
            }
        }
        canvas.draw(footer, x: margin, top: plotTop + plotHeight + xLabelHeight + gap, spacing: style.lineSpacing)
        return canvas
    }

    /// Grid values for the loss panel: from 0 (or the lowest loss, if some are negative) to 5 %
    /// above the highest; a flat curve still gets a span of 1, so the axis never has zero height.
    static func lossTicks(_ losses: [Double]) -> [Double] {
        let low = min(0, losses.min() ?? 0)
        var high = max(low, losses.max() ?? 0)
        high += high > low ? 0.05 * (high - low) : 1
        return Axes.niceTicks(from: low, to: high)
    }
}

extension Array {
    /// Each element with its successor: [a, b, c] → [(a, b), (b, c)].
    func adjacentPairs() -> [(Element, Element)] { count < 2 ? [] : (1..<count).map { (self[$0 - 1], self[$0]) } }
}
