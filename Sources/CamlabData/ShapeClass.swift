/// The four object classes, in the order the reference model's outputs use (index 0…3).
public enum ShapeClass: String, CaseIterable, Codable, Sendable, Comparable {
    case circle, square, triangle, cross

    /// The class's output index in the models: circle 0, square 1, triangle 2, cross 3.
    public var index: Int { Self.allCases.firstIndex(of: self)! }

    /// The class with output index `index`, or nil.
    public init?(index: Int) {
        guard Self.allCases.indices.contains(index) else { return nil }
        self = Self.allCases[index]
    }

    /// The class names in model order, e.g. for `ImageFolder(directory:classes:)`.
    public static let names: [String] = allCases.map(\.rawValue)

    public static func < (left: ShapeClass, right: ShapeClass) -> Bool { left.index < right.index }
}

/// An axis-aligned pixel rectangle: columns `x ..< x + width`, rows `y ..< y + height`.
/// Encoded in JSON as `[x, y, width, height]`.
public struct BoundingBox: Equatable, Hashable, Sendable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// True when pixel (px, py) lies inside the box.
    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < x + width && py >= y && py < y + height
    }

    /// True when the two boxes share at least one pixel.
    public func intersects(_ other: BoundingBox) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }

    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        x = try container.decode(Int.self)
        y = try container.decode(Int.self)
        width = try container.decode(Int.self)
        height = try container.decode(Int.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(x)
        try container.encode(y)
        try container.encode(width)
        try container.encode(height)
    }
}

/// One object drawn in a synthetic image: its class and the tight box around its mask pixels.
public struct DatasetObject: Equatable, Hashable, Sendable, Codable {
    public var shapeClass: ShapeClass
    public var boundingBox: BoundingBox

    public init(shapeClass: ShapeClass, boundingBox: BoundingBox) {
        self.shapeClass = shapeClass
        self.boundingBox = boundingBox
    }

    enum CodingKeys: String, CodingKey {
        case shapeClass = "class"
        case boundingBox = "bbox"
    }
}
