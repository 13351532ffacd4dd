/// Reading a tensor view out of its storage record: `value[i₀, …, iₙ] = storage[offset + Σ iₖ·strideₖ]`,
/// the layout `_rebuild_tensor_v2` gives a tensor, so transposed and sliced views come out in
/// row-major order and several tensors may share one storage.
extension TensorReference {
    /// The most float32 values one tensor may have: 4 GiB of them.
    static let maximumElementCount = 1 << 30

    /// Checks that the view fits its storage record and can become float32, and returns its element count.
    ///
    /// - Throws: `PyTorchFileError` naming the tensor: a dtype with no float32 value, negative sizes,
    ///   strides or offset, more than 4 GiB of values, a record whose length disagrees with the
    ///   persistent id, or a view that reaches past the end of its storage.
    func checkedElementCount(name: String, storage: StorageReference, record: ZipArchive.Entry) throws -> Int {
        func refuse(_ problem: PyTorchFileError.Problem) -> PyTorchFileError { PyTorchFileError(problem) }
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.dtype.size)
        guard !overflow, storageBytes == record.size else {
            throw refuse(.storageSizeMismatch(record: record.name, recordBytes: record.size,
                                              elementCount: storage.elementCount, dtype: storage.dtype.rawValue))
        }
        guard dtype.convertsToFloat else { throw refuse(.unsupportedDType(tensor: name, dtype: dtype.rawValue)) }
        guard offset >= 0, size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw refuse(.negativeLayout(tensor: name, size: size, stride: stride, offset: offset))
        }
        guard let count = elementCount, count <= Self.maximumElementCount else {
            throw refuse(.tensorTooLarge(tensor: name, size: size))
        }
        guard count > 0 else { return 0 }

        // The last element the view reads; every other one lies between offset and it.
        let available = storageBytes / dtype.size
        var lastIndex: Int? = offset
        for (extent, step) in zip(size, stride) {
            guard let current = lastIndex else { break }
            let (reach, productOverflow) = (extent - 1).multipliedReportingOverflow(by: step)
            let (sum, sumOverflow) = current.addingReportingOverflow(reach)
            lastIndex = productOverflow || sumOverflow ? nil : sum
        }
        guard let lastIndex, lastIndex < available else {
            if stride == Self.contiguousStrides(for: size) {
                throw refuse(.tensorLargerThanStorage(tensor: name, offset: offset, elementCount: count, storageCount: available))
            }
            throw refuse(.stridesOutsideStorage(tensor: name, size: size, stride: stride, offset: offset,
                                                lastIndex: lastIndex ?? Int.max, storageCount: available))
        }
        return count
    }

    /// The view's values in row-major order.
    ///
    /// - Precondition: `checkedElementCount` accepted the view with this record's bytes, so every
    ///   element read lies inside `record`.
    func values(count: Int, from record: UnsafeRawBufferPointer) -> [Float] {
        let elementSize = dtype.size
        var values: [Float] = []
        values.reserveCapacity(count)
        guard count > 0 else { return values }
        guard let innerSize = size.last, let innerStride = stride.last else {
            values.append(dtype.value(at: offset * elementSize, in: record))  // a 0-d tensor
            return negated ? values.map { -$0 } : values
        }
        // An odometer over the outer axes; the innermost axis is one loop.
        var index = [Int](repeating: 0, count: size.count)
        var rowStart = offset
        outer: while true {
            for column in 0..<innerSize {
                values.append(dtype.value(at: (rowStart + column * innerStride) * elementSize, in: record))
            }
            // Step the last outer axis that has room; the ones after it go back to their start.
            // (Never one stride past an axis's end: with an extent of 1 a stride may be huge.)
            var axis = size.count - 2
            while axis >= 0 {
                if index[axis] + 1 < size[axis] {
                    index[axis] += 1
                    rowStart += stride[axis]
                    continue outer
                }
                rowStart -= stride[axis] * (size[axis] - 1)
                index[axis] = 0
                axis -= 1
            }
            break
        }
        return negated ? values.map { -$0 } : values
    }

    /// The product of the sizes, or nil if it does not fit in an Int (sizes are checked non-negative first).
    private var elementCount: Int? {
        var count = 1
        for extent in size {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { return nil }
            count = product
        }
        return count
    }

    /// The strides of a contiguous row-major tensor of `size`.
    static func contiguousStrides(for size: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: size.count)
        var step = 1
        for axis in size.indices.reversed() {
            strides[axis] = step
            step = step.multipliedReportingOverflow(by: max(size[axis], 1)).partialValue
        }
        return strides
    }
}
