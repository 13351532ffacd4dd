/// A colormap as OpenCV applies it: a value v in [0, 1] picks entry uint8(255 · v) of a 256-entry
/// table (truncation, as numpy's `np.uint8(255 * mask)` in pytorch-grad-cam's `show_cam_on_image`).
public struct Colormap: Sendable {
    public let name: String
    /// 256 × RGB.
    let table: [UInt8]

    init(name: String, table: [UInt8]) {
        precondition(table.count == 256 * 3, "a colormap has 256 RGB entries")
        self.name = name
        self.table = table
    }

    /// The colour of `value`, clamped to [0, 1]; NaN counts as 0.
    public func color(at value: Float) -> RGB {
        let index = value.isNaN ? 0 : Int(UInt8(Swift.min(Swift.max(255 * value, 0), 255)))
        return RGB(red: table[3 * index], green: table[3 * index + 1], blue: table[3 * index + 2])
    }

    /// The colormaps by name, for options such as `--colormap viridis`.
    public static let all: [String: Colormap] = ["jet": .jet, "viridis": .viridis]
}
