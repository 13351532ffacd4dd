/// A colormap: 256 RGB colours indexed by `uint8(255 · value)`, as OpenCV's `applyColorMap` reads
/// them, so camlab's overlays match pytorch-grad-cam's `show_cam_on_image` colour for colour.
public struct Colormap: Equatable, Sendable {
    /// The name used on the command line (`jet`, `viridis`).
    public let name: String
    /// 768 bytes: entry i is (R, G, B) at 3i.
    let table: [UInt8]

    /// OpenCV's COLORMAP_JET, pytorch-grad-cam's default.
    public static let jet = Colormap(name: "jet", table: jetTable)
    /// OpenCV's COLORMAP_VIRIDIS: perceptually uniform and readable with colour-vision deficiencies.
    public static let viridis = Colormap(name: "viridis", table: viridisTable)

    public static let all: [Colormap] = [.jet, .viridis]

    /// The colormap with this name, or nil.
    public init?(named name: String) {
        guard let found = Self.all.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = found
    }

    private init(name: String, table: [UInt8]) {
        precondition(table.count == 768, "a colormap has 256 RGB entries")
        self.name = name
        self.table = table
    }

    /// The colour of entry `index` (0…255).
    public func color(atIndex index: UInt8) -> RGB {
        let offset = Int(index) * 3
        return RGB(red: table[offset], green: table[offset + 1], blue: table[offset + 2])
    }

    /// The colour of a value in [0, 1]: entry `uint8(255 · value)`, truncated as NumPy's `uint8`
    /// does. Values outside [0, 1] are clamped and NaN reads as 0, so a bad map cannot wrap around.
    public func color(at value: Float) -> RGB {
        color(atIndex: Self.index(of: value))
    }

    /// `uint8(255 · value)` for a value clamped to [0, 1] (NaN → 0), in Float32 like NumPy's.
    public static func index(of value: Float) -> UInt8 {
        guard value > 0 else { return 0 }
        return UInt8(Float(255) * min(value, 1))
    }
}
