/// Does the map fall on the object? Scores against a ground-truth mask (non-zero inside the
/// object(s) of the explained class), for a map with values in [0, 1] of the same size.
public struct Localization {
    /// Pointing game: the map's maximum lies inside the mask.
    public let pointingHit: Bool
    /// Energy-based pointing game (Score-CAM paper): the share of the map's total inside the mask.
    public let energyInside: Float
    /// Intersection over union of {map ≥ threshold} and the mask.
    public let intersectionOverUnion: Float
    /// Of the class's objects, how many have a map value ≥ threshold inside their bounding box —
    /// the measure of "finds several small objects".
    public let objectsFound: Int
    public let objectCount: Int

    public static let threshold: Float = 0.5

    /// - Parameters: `boxes` are the objects' bounding boxes (x, y, width, height) of the class.
    public init(map: [Float], mask: [UInt8], width: Int, boxes: [(x: Int, y: Int, width: Int, height: Int)]) {
        precondition(map.count == mask.count, "Localization: the map and the mask differ in size")
        let peak = map.indices.max { map[$0] != map[$1] ? map[$0] < map[$1] : $0 > $1 } ?? 0
        pointingHit = mask[peak] != 0
        let total = map.reduce(0, +)
        let inside = zip(map, mask).reduce(Float(0)) { $0 + ($1.1 != 0 ? $1.0 : 0) }
        energyInside = total > 0 ? inside / total : 0
        var intersection = 0, union = 0
        for (value, m) in zip(map, mask) {
            let (a, b) = (value >= Self.threshold, m != 0)
            if a && b { intersection += 1 }
            if a || b { union += 1 }
        }
        intersectionOverUnion = union > 0 ? Float(intersection) / Float(union) : 0
        objectCount = boxes.count
        // Only the part of a box inside the map is searched: a box that leaves the image is clipped.
        let height = width > 0 ? map.count / width : 0
        func clipped(_ start: Int, _ length: Int, to limit: Int) -> Range<Int> {
            let low = min(max(start, 0), limit)
            let (end, overflow) = start.addingReportingOverflow(max(length, 0))
            return low..<(overflow ? limit : min(max(end, low), limit))
        }
        objectsFound = boxes.filter { box in
            let (rows, columns) = (clipped(box.y, box.height, to: height), clipped(box.x, box.width, to: width))
            return rows.contains { y in columns.contains { x in map[y * width + x] >= Self.threshold } }
        }.count
    }

    /// The share of a map's mass that lies inside any of `masks` (non-zero inside): the lessons'
    /// "inside" (the explained class's objects) and "others" (the other classes' objects).
    public static func share(of map: [Float], inside masks: [[UInt8]]) -> Double {
        let total = map.reduce(0.0) { $0 + Double($1) }
        guard total > 0 else { return 0 }
        var sum = 0.0
        for p in map.indices where masks.contains(where: { $0[p] != 0 }) { sum += Double(map[p]) }
        return sum / total
    }
}
