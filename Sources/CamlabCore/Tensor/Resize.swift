/// Bilinear resizing of the last two axes, as a product with two interpolation matrices
/// (out = R_h · x · R_wᵀ), so it is differentiable to any order with no rule of its own.
extension Tensor {
    public enum BilinearConvention: Sendable {
        /// Pixel centres at half-integers: OpenCV `INTER_LINEAR`, PyTorch `align_corners=False`.
        case halfPixelCenters
        /// Corner pixels aligned: PyTorch `align_corners=True` (Score-CAM's upsampling).
        case alignCorners
    }

    public func resizedBilinear(height: Int, width: Int,
                                convention: BilinearConvention = .halfPixelCenters) -> Tensor {
        precondition(rank >= 2, "resizedBilinear: needs rank ≥ 2, got shape \(shape)")
        precondition(height >= 1 && width >= 1, "resizedBilinear: the target size \(height)×\(width) is empty")
        let (inHeight, inWidth) = (shape[rank - 2], shape[rank - 1])
        precondition(inHeight >= 1 && inWidth >= 1, "resizedBilinear: the input \(shape) is empty")
        if inHeight == height && inWidth == width { return self }
        let rows = Tensor.interpolationMatrix(from: inHeight, to: height, convention: convention)
        let columns = Tensor.interpolationMatrix(from: inWidth, to: width, convention: convention)
        // Horizontal pass first, then vertical: OpenCV's order. The vertical pass runs on the
        // transposed planes, so that both passes are one product over all planes (`matmul` with
        // one matrix on the right), not one product per plane.
        let horizontal = matmul(columns.transposed())                          // x · R_wᵀ
        return horizontal.transposed().matmul(rows.transposed()).transposed()  // ((x · R_wᵀ)ᵀ · R_hᵀ)ᵀ
    }

    /// The [out, in] matrix whose row i holds the two weights of output sample i.
    static func interpolationMatrix(from inSize: Int, to outSize: Int,
                                    convention: BilinearConvention) -> Tensor {
        var weights = [Float](repeating: 0, count: outSize * inSize)
        for i in 0..<outSize {
            var source: Double
            switch convention {
            case .halfPixelCenters:
                source = (Double(i) + 0.5) * Double(inSize) / Double(outSize) - 0.5
            case .alignCorners:
                source = outSize > 1 ? Double(i) * Double(inSize - 1) / Double(outSize - 1) : 0
            }
            source = Swift.min(Swift.max(source, 0), Double(inSize - 1))
            let lower = Int(source.rounded(.down))
            let upper = Swift.min(lower + 1, inSize - 1)
            let fraction = Float(source - Double(lower))
            weights[i * inSize + lower] += 1 - fraction
            weights[i * inSize + upper] += fraction
        }
        return Tensor(shape: [outSize, inSize], scalars: weights)
    }
}
