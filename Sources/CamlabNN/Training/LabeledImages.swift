import CamlabCore

/// Images and their class labels, decoded once into one tensor so that every epoch only copies
/// rows out of it.
public struct LabeledImages {
    /// All images, `[N, C, H, W]`, values in [0, 1] (not yet normalized by the architecture).
    public let images: Tensor
    /// The class index of each image.
    public let labels: [Int]

    public init(images: Tensor, labels: [Int]) {
        precondition(images.rank == 4 && images.shape[0] == labels.count,
                     "LabeledImages: \(labels.count) labels for images of shape \(images.shape)")
        self.images = images
        self.labels = labels
    }

    /// The number of images.
    public var count: Int { labels.count }

    /// The images at `indices`, in that order, as one batch `[B, C, H, W]`, with their labels.
    public func batch(_ indices: some Collection<Int>) -> (images: Tensor, labels: [Int]) {
        let imageSize = images.shape[1...].reduce(1, *)
        let values = [Float](unsafeUninitializedCapacity: indices.count * imageSize) { out, initialized in
            images.scalars.withUnsafeBufferPointer { all in
                for (position, index) in indices.enumerated() {
                    let source = UnsafeBufferPointer(rebasing: all[(index * imageSize)..<((index + 1) * imageSize)])
                    _ = UnsafeMutableBufferPointer(rebasing: out[(position * imageSize)...]).initialize(from: source)
                }
            }
            initialized = indices.count * imageSize
        }
        return (Tensor(shape: [indices.count] + Array(images.shape[1...]), scalars: values), indices.map { labels[$0] })
    }
}
