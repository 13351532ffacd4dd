import CamlabCore
import CamlabImaging
import Dispatch

/// An image folder decoded into one tensor, ready for training or evaluation.
public struct DecodedImageFolder {
    /// Every image, `[N, channels, height, width]`, values in [0, 1].
    public let images: Tensor
    /// The class index of each image (into the folder's `classes`).
    public let labels: [Int]
    /// How many images had another size and were resized (bilinear) to fit.
    public let resizedCount: Int
}

extension ImageFolder {
    /// Decodes every image once, in parallel over the cores, into one tensor of
    /// `[count, channels, height, width]`, resizing those of another size.
    ///
    /// - Throws: the first unreadable image's error (in sample order, so always the same one).
    public func decoded(channels: Int, height: Int, width: Int) throws -> DecodedImageFolder {
        let imageSize = channels * height * width
        let slots = DecodeSlots(count: count, imageSize: imageSize)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do {
                let image = try self.image(at: index)
                if image.width != width || image.height != height { slots.markResized(index) }
                let tensor = image.tensor(channels: channels, height: height, width: width)
                slots.store(tensor.scalars, at: index)
            } catch {
                slots.fail(index, error)
            }
        }
        if let error = slots.firstError { throw error }
        return DecodedImageFolder(images: Tensor(shape: [count, channels, height, width], scalars: slots.values),
                                  labels: samples.map(\.classIndex), resizedCount: slots.resizedCount)
    }
}

/// Per-image slots that concurrent decoders fill, each its own index, so no lock is needed
/// (raw buffers: a class's array properties would trip exclusivity checks across threads).
private final class DecodeSlots: @unchecked Sendable {
    private let buffer: UnsafeMutableBufferPointer<Float>
    private let resized: UnsafeMutableBufferPointer<Bool>
    private let errors: UnsafeMutableBufferPointer<Error?>
    private let imageSize: Int

    init(count: Int, imageSize: Int) {
        self.imageSize = imageSize
        buffer = .allocate(capacity: count * imageSize)
        buffer.initialize(repeating: 0)
        resized = .allocate(capacity: count)
        resized.initialize(repeating: false)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: nil)
    }

    deinit {
        buffer.deallocate()
        resized.deallocate()
        _ = errors.deinitialize()
        errors.deallocate()
    }

    func store(_ values: [Float], at index: Int) {
        _ = UnsafeMutableBufferPointer(rebasing: buffer[(index * imageSize)..<((index + 1) * imageSize)])
            .update(fromContentsOf: values)
    }

    func markResized(_ index: Int) { resized[index] = true }
    func fail(_ index: Int, _ error: Error) { errors[index] = error }

    var values: [Float] { Array(buffer) }
    var resizedCount: Int { resized.filter { $0 }.count }
    var firstError: Error? { errors.lazy.compactMap { $0 }.first }
}
