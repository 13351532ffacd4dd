import CamlabImaging
import Foundation

/// A plot's data-to-pixel mapping and its frame: light horizontal grid lines at "nice" y values,
/// tick labels left of the frame and under it.
struct Axes {
    var left: Int, top: Int, width: Int, height: Int
    var xRange: ClosedRange<Double>
    var yRange: ClosedRange<Double>

    func x(_ value: Double) -> Int {
        left + Int(((value - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * Double(width - 1)).rounded())
    }

    func y(_ value: Double) -> Int {
        top + Int(((yRange.upperBound - value) / (yRange.upperBound - yRange.lowerBound) * Double(height - 1)).rounded())
    }

    /// The width of the y tick labels, so a layout can reserve it left of the frame.
    static func labelWidth(_ ticks: [Double], style: FigureStyle) -> Int {
        ticks.map { style.typeface.measure(tickLabel($0, ticks: ticks), font: style.small).width }.max() ?? 0
    }

    /// Grid lines and labels at `yTicks`, labels at `xTicks`, then the frame.
    func draw(on canvas: Canvas, yTicks: [Double], xTicks: [(value: Double, label: String)], style: FigureStyle) {
        let labelHeight = canvas.measure("0", font: style.small).height
        for tick in yTicks {
            canvas.fill(x: left, y: y(tick), width: width, height: 1, color: style.grid)
            canvas.text(Self.tickLabel(tick, ticks: yTicks), x: left - 6, top: y(tick) - labelHeight / 2,
                        font: style.small, color: style.ink, alignment: .right)
        }
        for tick in xTicks {
            canvas.fill(x: x(tick.value), y: top + height, width: 1, height: 4, color: style.ink)
            canvas.text(tick.label, x: x(tick.value), top: top + height + 6, font: style.small, color: style.ink, alignment: .center)
        }
        canvas.stroke(x: left, y: top, width: width, height: height, color: style.muted)
    }

    /// The space under the frame that x tick labels take.
    static func xLabelHeight(style: FigureStyle) -> Int { style.typeface.measure("0", font: style.small).height + 6 }

    /// At most `count` + 1 round values (1, 2, 2.5 or 5 × 10^n apart) covering `low…high`: the
    /// finest such spacing, so the grid is as informative as the count allows.
    static func niceTicks(from low: Double, to high: Double, count: Int = 5) -> [Double] {
        let span = max(high - low, 1e-9)
        let exponent = Int(log10(span / Double(max(count, 1))).rounded(.down))
        // n × digit × 10^exponent, computed so that 3 × 0.2 is 0.6 and not 0.6000000000000001.
        func value(_ n: Double, _ digit: Double) -> Double {
            exponent >= 0 ? n * digit * pow(10, Double(exponent)) : n * digit / pow(10, Double(-exponent))
        }
        for digit in [1.0, 2, 2.5, 5, 10, 20] {
            let step = value(1, digit)
            let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
            if Int(last - first) + 1 <= count + 1 {
                return stride(from: first, through: last, by: 1).map { value($0, digit) }
            }
        }
        return [low, high]
    }

    /// A tick value with as many decimals as the tick spacing needs.
    static func tickLabel(_ value: Double, ticks: [Double]) -> String {
        let step = ticks.count > 1 ? abs(ticks[1] - ticks[0]) : 1
        // The fewest decimals that write the step exactly (0.25 needs two, 0.5 one, 5 none).
        let decimals = (0...4).first { decimals in
            let scaled = step * pow(10, Double(decimals))
            return abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled)
        } ?? 4
        return formatted(Float(value), maximumDecimals: decimals)
    }
}
