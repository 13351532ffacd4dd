import CamlabImaging
import Foundation

/// A vertical colorbar for map values 0…1 with ticks every 0.25, as matplotlib draws beside an image.
struct Colorbar {
    let colormap: Colormap
    let style: FigureStyle
    /// The value range the bar spans (a feature-map gallery labels raw activations).
    var range: ClosedRange<Float> = 0...1

    static let barWidth = 18
    static let tickLength = 5

    /// Every 0.25 on the unit range; round values (1, 2 or 5 × 10^n apart) on any other.
    private var ticks: [Float] {
        if range == 0...1 { return [0, 0.25, 0.5, 0.75, 1] }
        return Axes.niceTicks(from: Double(range.lowerBound), to: Double(range.upperBound))
            .map(Float.init).filter { range.contains($0) }
    }

    private func tickText(_ value: Float) -> String {
        Axes.tickLabel(Double(value), ticks: ticks.map(Double.init))
    }

    /// The width the bar, its ticks and labels need.
    var width: Int {
        let labels = ticks.map { style.typeface.measure(tickText($0), font: style.small).width }
        return Self.barWidth + Self.tickLength + 4 + labels.max()!
    }

    /// Room needed above and below the bar so the end labels are not cut (half a label line).
    var overhang: Int { style.typeface.measure("0", font: style.small).height / 2 + 1 }

    /// Draws the bar with its top-left corner at (x, y), `height` pixels tall; value 1 at the top.
    func draw(on canvas: Canvas, x: Int, y: Int, height: Int) {
        for row in 0..<height {
            let value = 1 - (Float(row) + 0.5) / Float(height)
            canvas.fill(x: x, y: y + row, width: Self.barWidth, height: 1, color: colormap.color(at: value))
        }
        canvas.stroke(x: x, y: y, width: Self.barWidth, height: height, color: style.muted)
        let labelHeight = canvas.measure("0", font: style.small).height
        for tick in ticks {
            let fraction = (tick - range.lowerBound) / (range.upperBound - range.lowerBound)
            let tickY = y + Int(((1 - fraction) * Float(height - 1)).rounded())
            canvas.fill(x: x + Self.barWidth, y: tickY, width: Self.tickLength, height: 1, color: style.ink)
            canvas.text(tickText(tick), x: x + Self.barWidth + Self.tickLength + 4, top: tickY - labelHeight / 2,
                        font: style.small, color: style.ink)
        }
    }
}

/// A number with at most `maximumDecimals` decimals and no trailing zeros ("0.25", "1", "-0.5").
func formatted(_ value: Float, maximumDecimals: Int) -> String {
    var scale: Float = 1
    for _ in 0..<maximumDecimals { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    if rounded == 0 { return "0" }
    var text = String(format: "%.\(maximumDecimals)f", Double(rounded))
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text.replacingOccurrences(of: "-", with: "−")
}

/// A signed number with a fixed number of decimals: "+1.38", "−0.20", and "0.00" rather than a
/// signed zero for values that round to nothing.
func signed(_ value: Float, decimals: Int = 2) -> String {
    let unsigned = String(format: "%.\(decimals)f", Double(abs(value)))
    if unsigned.allSatisfy({ $0 == "0" || $0 == "." }) { return unsigned }
    let text = String(format: "%+.\(decimals)f", Double(value))
    return text.replacingOccurrences(of: "-", with: "−")
}
