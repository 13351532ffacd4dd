import CamlabCore
import CamlabImaging
import Dispatch
import Foundation

/// One generated image with its ground truth.
public struct DatasetSample: Equatable, Sendable {
    public var image: RGBImage
    /// The objects in drawing order, each with the tight box around its mask pixels.
    public var objects: [DatasetObject]
    /// Per class present: 255 where that class's objects cover at least half a pixel, 0 elsewhere.
    public var masks: [ShapeClass: GrayImage]

    /// The classes present, in model order.
    public var classes: [ShapeClass] { Array(Set(objects.map(\.shapeClass))).sorted() }
}

/// Generates the synthetic datasets. Every image is a pure function of (kind, seed, index, size,
/// supersampling): its own `RandomGenerator` is seeded from those, so images can be drawn in
/// parallel, in any order, and any single one reproduced byte for byte on any machine.
public enum DatasetGenerator {
    /// The class pairs of the `pairs` dataset, cycled through by index (6 unordered pairs).
    public static let classPairs: [(ShapeClass, ShapeClass)] = {
        var pairs: [(ShapeClass, ShapeClass)] = []
        for (position, first) in ShapeClass.allCases.enumerated() {
            for second in ShapeClass.allCases[(position + 1)...] { pairs.append((first, second)) }
        }
        return pairs
    }()

    /// The class(es) image `index` of a dataset shows, fixed by the index alone so every split is
    /// balanced: index mod 4 for shapes and multi, index mod 6 into `classPairs` for pairs.
    public static func classes(kind: DatasetKind, index: Int) -> [ShapeClass] {
        switch kind {
        case .shapes, .multi, .scenes: return [ShapeClass.allCases[index % ShapeClass.allCases.count]]
        case .pairs: let pair = classPairs[index % classPairs.count]; return [pair.0, pair.1]
        }
    }

    /// The folder (below `train/` or `test/`) that holds image `index`: the class name, or
    /// `<first>+<second>` in model order for pairs (e.g. `circle+square`).
    public static func folderName(kind: DatasetKind, index: Int) -> String {
        classes(kind: kind, index: index).map(\.rawValue).joined(separator: "+")
    }

    /// Draws image `index` of a dataset. Pure and deterministic.
    public static func sample(kind: DatasetKind, index: Int, size: Int = 32, seed: UInt64,
                              supersampling: Int = 1) -> DatasetSample {
        precondition(size >= 16, "synthetic images need a side of at least 16 pixels")
        precondition(index >= 0, "image indices start at 0")
        precondition((1...16).contains(supersampling), "supersampling must be 1…16")
        var random = RandomGenerator(seed: imageSeed(kind: kind, seed: seed, index: index))
        // Dark background, light objects: every channel of an object is at least 50 levels above
        // the background's base, like the reference images.
        let background = RGB(red: UInt8(random.nextIndex(below: 91)), green: UInt8(random.nextIndex(below: 91)),
                             blue: UInt8(random.nextIndex(below: 91)))
        let classes = classes(kind: kind, index: index)
        let shapes: [PlacedShape]
        switch kind {
        case .shapes:
            shapes = place(classes, extents: percent(30, of: size)...percent(56, of: size), size: size, random: &random)
        case .multi:
            let count = 2 + random.nextIndex(below: 5)
            shapes = place(Array(repeating: classes[0], count: count),
                           extents: percent(18, of: size)...percent(28, of: size), size: size, random: &random)
        case .pairs:
            var pair = classes
            random.shuffle(&pair)  // which class is drawn (and placed) first varies
            shapes = place(pair, extents: percent(25, of: size)...percent(45, of: size), size: size, random: &random)
        case .scenes:
            var others = ShapeClass.allCases.filter { $0 != classes[0] }
            random.shuffle(&others)
            let distractors = Array(others.prefix(1 + random.nextIndex(below: 2)))
            var drawn = Array(repeating: classes[0], count: 2 + random.nextIndex(below: 4)) + distractors
            random.shuffle(&drawn)
            shapes = place(drawn, extents: percent(10, of: size)...percent(18, of: size), size: size, random: &random)
        }
        let texture = kind == .scenes ? Rasterizer.Texture(size: size, random: &random) : nil
        let rendered = Rasterizer.render(shapes, size: size, background: background, texture: texture,
                                         supersampling: supersampling, random: &random)
        var objects: [DatasetObject] = []
        var masks: [ShapeClass: GrayImage] = [:]
        for (shape, mask) in zip(shapes, rendered.masks) {
            // The extent is at least 4 pixels, so the shape covers its centre pixel at least.
            let box = Rasterizer.boundingBox(of: mask, size: size)!
            objects.append(DatasetObject(shapeClass: shape.shapeClass, boundingBox: box))
            var classMask = masks[shape.shapeClass] ?? GrayImage(width: size, height: size)
            for pixel in mask.indices where mask[pixel] { classMask.pixels[pixel] = 255 }
            masks[shape.shapeClass] = classMask
        }
        return DatasetSample(image: rendered.image, objects: objects, masks: masks)
    }

    // MARK: - Placement

    /// `percent` % of `size`, rounded to the nearest pixel with integers only.
    static func percent(_ percent: Int, of size: Int) -> Int { (percent * size + 50) / 100 }

    /// Places one shape per class in `classes`, each with a random extent in `extents`, a random
    /// position keeping a margin from the border (2 pixels per 32 of image side: the reference
    /// model misreads large objects that touch the bottom rows) and boxes at least a gap apart
    /// (1 pixel per 32). A crowded layout is drawn again from scratch.
    static func place(_ classes: [ShapeClass], extents: ClosedRange<Int>, size: Int,
                      random: inout RandomGenerator) -> [PlacedShape] {
        let margin = max(2, size / 16), gap = max(1, size / 32)
        let smallest = max(4, extents.lowerBound)
        let largest = max(smallest, min(extents.upperBound, size - 2 * margin))
        layout: while true {
            var placed: [PlacedShape] = []
            for shapeClass in classes {
                var found = false
                for _ in 0..<200 {
                    let extent = smallest + random.nextIndex(below: largest - smallest + 1)
                    let room = size - 2 * margin - extent + 1
                    let candidate = PlacedShape(
                        shapeClass: shapeClass,
                        x: margin + random.nextIndex(below: room), y: margin + random.nextIndex(below: room),
                        extent: extent,
                        color: RGB(red: UInt8(140 + random.nextIndex(below: 116)),
                                   green: UInt8(140 + random.nextIndex(below: 116)),
                                   blue: UInt8(140 + random.nextIndex(below: 116))))
                    if placed.allSatisfy({ $0.isApart(from: candidate, gap: gap) }) {
                        placed.append(candidate)
                        found = true
                        break
                    }
                }
                if !found { continue layout }
            }
            return placed
        }
    }

    /// A 64-bit seed per image, mixing the dataset seed, kind and index through SplitMix64's
    /// finaliser so that neighbouring indices get unrelated streams.
    static func imageSeed(kind: DatasetKind, seed: UInt64, index: Int) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let kindTag: UInt64 = switch kind { case .shapes: 1; case .multi: 2; case .pairs: 3; case .scenes: 4 }
        return mix(mix(mix(seed) ^ kindTag) ^ UInt64(index))
    }
}
