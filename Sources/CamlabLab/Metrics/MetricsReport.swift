import Foundation
import CamlabCore
import CamlabData
import CamlabImaging
import CamlabMethods
import CamlabNN

/// `camlab metrics`: each method scored over a dataset, by faithfulness (the model's confidence as
/// the image is changed by the map) and, where the dataset has ground-truth masks, by localization.
public struct MetricsReport {
    /// The averages of one method.
    public struct Row {
        public let method: MethodName
        public let explanations: Int
        public let averageDrop: Double
        public let increaseInConfidence: Double
        public let deletionArea: Double
        public let insertionArea: Double
        public let roadMostRelevantFirst: Double
        public let roadLeastRelevantFirst: Double
        /// nil without masks.
        public let pointingGame: Double?
        public let energyPointingGame: Double?
        public let intersectionOverUnion: Double?
        public let objectsFound: Double?
        public let emptyMaps: Int
    }

    /// One image to explain for one class, with the truth when known.
    struct Item {
        let name: String
        let image: RGBImage
        let classIndex: Int
        let mask: [UInt8]?
        let boxes: [(x: Int, y: Int, width: Int, height: Int)]
    }

    public let rows: [Row]
    public let dataDescription: String

    /// Thrown when `shouldStop` asks to stop (Ctrl-C): nothing half-scored is reported.
    public struct Stopped: Error {}

    /// `explained` is told after each explanation how many of all (every method's) are done;
    /// `shouldStop` is asked as often, so Ctrl-C stops within one explanation.
    /// `layer`: the layer explained (nil: the model's target layer).
    public init(network: Network, dataDirectory: String, methods: [MethodName], limit: Int = 200, layer: String? = nil,
                progress: (String) -> Void = { _ in }, explained: (_ done: Int, _ total: Int) -> Void = { _, _ in },
                shouldStop: () -> Bool = { false }) throws {
        let items = try Self.items(in: dataDirectory, network: network, limit: limit)
        guard !items.isEmpty else { throw DatasetError(action: "score", path: dataDirectory, problem: "it holds no images") }
        let hasMasks = items.allSatisfy { $0.mask != nil }
        dataDescription = "\(items.count) explanations of images in \(dataDirectory)" + (hasMasks ? " (with ground-truth masks)" : " (no masks: localization not measured)")
            + " at layer \(layer ?? network.architecture.targetLayer)"
        let input = try ModelInput(images: items.map { ($0.name, $0.image) }, network: network)
        let width = network.architecture.input[2]
        var rows: [Row] = []
        let total = items.count * methods.filter(\.producesMap).count
        var done = 0
        for method in methods where method.producesMap {
            progress("scoring \(method.rawValue) on \(items.count) explanations …")
            var faithfulness: [Faithfulness] = []
            var localization: [Localization] = []
            var empty = 0
            // Small batches: a Score-CAM batch of 32 would keep Ctrl-C waiting for seconds.
            for start in stride(from: 0, to: items.count, by: 8) {
                if shouldStop() { throw Stopped() }
                let range = start..<Swift.min(start + 8, items.count)
                let batch = withoutGradient { input.batch.sliced(alongAxis: 0, range: range) }
                let explanations = try Explainer(network: network).explain(batch, ExplanationRequest(method: method, classes: range.map { items[$0].classIndex }, layers: layer.map { [$0] }))
                for (offset, explanation) in explanations.enumerated() {
                    if shouldStop() { throw Stopped() }
                    let item = items[range.lowerBound + offset]
                    let map = explanation.map!
                    if explanation.isEmpty { empty += 1 }
                    let one = withoutGradient { batch.sliced(alongAxis: 0, range: offset..<(offset + 1)) }
                    faithfulness.append(Faithfulness(network: network, input: one, classIndex: item.classIndex, map: map, seed: UInt64(range.lowerBound + offset)))
                    if let mask = item.mask {
                        localization.append(Localization(map: map.scalars, mask: mask, width: width, boxes: item.boxes))
                    }
                    done += 1
                    explained(done, total)
                }
            }
            func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
            rows.append(Row(
                method: method, explanations: items.count,
                averageDrop: mean(faithfulness.map { Double($0.drop) }),
                increaseInConfidence: 100 * mean(faithfulness.map { $0.increased ? 1 : 0 }),
                deletionArea: mean(faithfulness.map { Double($0.deletionArea) }),
                insertionArea: mean(faithfulness.map { Double($0.insertionArea) }),
                roadMostRelevantFirst: mean(faithfulness.map { Double($0.roadMostRelevantFirst.reduce(0, +)) / Double($0.roadMostRelevantFirst.count) }),
                roadLeastRelevantFirst: mean(faithfulness.map { Double($0.roadLeastRelevantFirst.reduce(0, +)) / Double($0.roadLeastRelevantFirst.count) }),
                pointingGame: hasMasks ? 100 * mean(localization.map { $0.pointingHit ? 1 : 0 }) : nil,
                energyPointingGame: hasMasks ? 100 * mean(localization.map { Double($0.energyInside) }) : nil,
                intersectionOverUnion: hasMasks ? mean(localization.map { Double($0.intersectionOverUnion) }) : nil,
                objectsFound: hasMasks ? 100 * Double(localization.reduce(0) { $0 + $1.objectsFound }) / Double(Swift.max(1, localization.reduce(0) { $0 + $1.objectCount })) : nil,
                emptyMaps: empty))
        }
        self.rows = rows
    }

    /// A camlab dataset (manifest and masks; its test split) or an image folder (`DIR/<class>/*`).
    static func items(in directory: String, network: Network, limit: Int) throws -> [Item] {
        let manifestPath = (directory as NSString).appendingPathComponent("manifest.json")
        if FileManager.default.fileExists(atPath: manifestPath) {
            let manifest = try DatasetManifest.read(at: manifestPath)
            var items: [Item] = []
            for entry in manifest.images where entry.split == .test {
                let image = try ImageFile.readRGB(at: (directory as NSString).appendingPathComponent(entry.path))
                for shapeClass in entry.classes {
                    guard let classIndex = network.classes.firstIndex(of: shapeClass.rawValue) else {
                        throw ExplanationError.unknownClass(shapeClass.rawValue, available: network.classes)
                    }
                    let mask = try entry.masks[shapeClass.rawValue].map {
                        try PNGFile.readGray(at: (directory as NSString).appendingPathComponent($0))
                    }
                    let boxes = entry.objects.filter { $0.shapeClass == shapeClass }.map {
                        (x: $0.boundingBox.x, y: $0.boundingBox.y, width: $0.boundingBox.width, height: $0.boundingBox.height)
                    }
                    let (height, width) = (network.architecture.input[1], network.architecture.input[2])
                    let sized = mask.map { $0.width == width && $0.height == height ? $0 : $0.resized(toWidth: width, height: height, method: .nearestNeighbor) }
                    items.append(Item(name: entry.path, image: image, classIndex: classIndex, mask: sized?.pixels,
                                      boxes: image.width == width && image.height == height ? boxes : []))
                }
                if items.count >= limit { break }
            }
            return Array(items.prefix(limit))
        }
        let folder = try ImageFolder(directory: directory, classes: network.classes)
        return try (0..<Swift.min(limit, folder.count)).map { i in
            Item(name: folder.samples[i].path, image: try folder.image(at: i), classIndex: folder.samples[i].classIndex, mask: nil, boxes: [])
        }
    }

    /// The table a person reads.
    public func humanReadable(terminal: Terminal) -> String {
        let hasMasks = rows.first?.pointingGame != nil
        var header = ["method", "AvgDrop%↓", "Incr%↑", "Del AUC↓", "Ins AUC↑", "ROAD MoRF↓", "ROAD LeRF↑"]
        if hasMasks { header += ["Point%↑", "Energy%↑", "IoU↑", "Objects%↑"] }
        var table = [header]
        for row in rows {
            var cells = [row.method.rawValue, f(row.averageDrop, 1), f(row.increaseInConfidence, 1), f(row.deletionArea, 3),
                         f(row.insertionArea, 3), f(row.roadMostRelevantFirst, 3), f(row.roadLeastRelevantFirst, 3)]
            if hasMasks {
                cells += [f(row.pointingGame!, 1), f(row.energyPointingGame!, 1), f(row.intersectionOverUnion!, 3), f(row.objectsFound!, 1)]
            }
            table.append(cells)
        }
        let widths = header.indices.map { column in table.map { $0[column].count }.max()! }
        let lines = table.enumerated().map { index, cells in
            let line = cells.enumerated().map { $0.offset == 0 ? $0.element.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                : String(repeating: " ", count: widths[$0.offset] - $0.element.count) + $0.element }.joined(separator: "  ")
            return index == 0 ? terminal.bold(line) : line
        }
        var notes = [dataDescription + "; the explained class is the true one.",
                     "Confidence = softmax probability. AvgDrop/Incr: the image multiplied by the map (Grad-CAM++ paper).",
                     "Deletion: most relevant pixels set to 0; insertion: inserted into a box-blurred image; AUC over \(Faithfulness.steps) steps.",
                     "ROAD: noisy linear imputation of the most/least relevant \(Faithfulness.roadPercentiles.map(String.init).joined(separator: "/"))% of pixels; mean confidence."]
        if hasMasks {
            notes.append("Masks: pointing game = the map's peak inside the object; energy = share of the map inside; IoU of {map ≥ \(Localization.threshold)}; objects = share of objects with a map value ≥ \(Localization.threshold) in their box.")
        }
        let emptyNotes = rows.filter { $0.emptyMaps > 0 }.map { "\($0.method.rawValue): \($0.emptyMaps) empty map(s) (nothing positive to show) counted as all-zero maps." }
        return (lines + [""] + (notes + emptyNotes).map { terminal.dim($0) }).joined(separator: "\n")
    }

    private func f(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

    public var jsonLines: [String] {
        rows.map { row in
            var fields: [(String, JSONValue)] = [
                ("method", .string(row.method.rawValue)), ("explanations", .int(row.explanations)),
                ("average_drop", .double(row.averageDrop)), ("increase_in_confidence", .double(row.increaseInConfidence)),
                ("deletion_auc", .double(row.deletionArea)), ("insertion_auc", .double(row.insertionArea)),
                ("road_morf", .double(row.roadMostRelevantFirst)), ("road_lerf", .double(row.roadLeastRelevantFirst)),
                ("empty_maps", .int(row.emptyMaps)),
            ]
            if let p = row.pointingGame { fields.append(("pointing_game", .double(p))) }
            if let e = row.energyPointingGame { fields.append(("energy_pointing_game", .double(e))) }
            if let i = row.intersectionOverUnion { fields.append(("iou", .double(i))); fields.append(("iou_threshold", .double(Double(Localization.threshold)))) }
            if let o = row.objectsFound { fields.append(("objects_found", .double(o))) }
            return JSONValue.object(fields).text
        }
    }
}
