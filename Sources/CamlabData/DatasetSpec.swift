/// The synthetic datasets.
public enum DatasetKind: String, CaseIterable, Codable, Sendable {
    /// One object per image, 30–56 % of the image side (10–18 px at 32); label = its class.
    /// The reference model, trained on 32-pixel images, misreads larger crosses and squares.
    case shapes
    /// 2–6 small objects (18–28 % of the side) of one class, apart; label = that class.
    case multi
    /// Two objects of different classes (25–45 % of the side), apart; for counterfactual maps.
    case pairs
    /// Harder scenes (made at 96×96 for lesson 9): a textured background, 2–5 small objects of one
    /// class and one or two of other classes (one each), all 10–18 % of the side, in a random
    /// drawing order; label = the class most objects have.
    case scenes
}

/// Which part of a dataset an image belongs to.
public enum DatasetSplit: String, CaseIterable, Codable, Sendable {
    case train, test
}

/// What to generate: the dataset kind, how many images, their size and the seed.
public struct DatasetSpec: Equatable, Sendable {
    public var kind: DatasetKind
    /// Total number of images (train + test).
    public var count: Int
    /// Image side in pixels (images are square); at least 16.
    public var size: Int
    public var seed: UInt64
    /// Share of the images put in the test split, rounded to the nearest whole image.
    public var testFraction: Double
    /// Samples per pixel side: 1 draws hard edges like the reference images, 4 anti-aliases.
    public var supersampling: Int

    public init(kind: DatasetKind, count: Int, size: Int = 32, seed: UInt64 = 0,
                testFraction: Double = 0.2, supersampling: Int = 1) {
        self.kind = kind
        self.count = count
        self.size = size
        self.seed = seed
        self.testFraction = testFraction
        self.supersampling = supersampling
    }

    /// The largest image side: 1,024 pixels is 3 MiB an image, and 4 MiB a supersampled row of work
    /// per core; the lessons use 32 (see `Docs/limits.md`).
    public static let largestSize = 1_024
    /// The most images in one dataset: the manifest is held in memory (about 400 bytes an image) and
    /// every image is a few files, so a million images is 400 MB of manifest and 2–3 million files.
    public static let largestCount = 1_000_000

    /// Images in the test split: the last `testCount` indices.
    public var testCount: Int { Int((Double(count) * testFraction).rounded()) }
    /// Images in the train split: indices `0 ..< trainCount`.
    public var trainCount: Int { count - testCount }

    /// The split of image `index`: the first `trainCount` indices train, the rest test. Classes
    /// cycle with the index, so both splits stay balanced.
    public func split(ofIndex index: Int) -> DatasetSplit {
        index < trainCount ? .train : .test
    }
}
