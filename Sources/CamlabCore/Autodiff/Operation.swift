/// The primitive operations the autodiff knows, with what each needs to remember for its
/// derivative. Everything else (`softmax`, `mean`, `concatenated`, pooling, bilinear resizing, …)
/// is composed from these, so its derivative — and its derivative's derivative — comes for free.
/// The derivative rule of every case is in `Derivatives.swift`.
public enum Operation {
    case add, subtract, multiply, divide
    case negate, exp, log, sqrt
    case power(Float)
    case relu
    /// max(a, b) element-wise; ties split the gradient in halves, as PyTorch does.
    case maximum
    /// `mask ? a : b` with a constant 0/1 mask.
    case select(mask: Tensor)
    /// Sum over `axes`, keeping them as size-1 axes.
    case sum(axes: [Int])
    /// Max over `axes`, keeping them as size-1 axes; ties share the gradient equally.
    case max(axes: [Int])
    /// Repeats size-1 axes (and prepends axes) to reach a broadcast shape.
    case expand
    case reshape
    case permute(axes: [Int])
    /// Elements `range` of `axis`.
    case slice(axis: Int, range: Range<Int>)
    /// Zeros added before and after `axis`.
    case pad(axis: Int, before: Int, after: Int)
    /// The inputs joined along `axis`.
    case concatenate(axis: Int)
    /// Batched matrix product over the last two axes, broadcasting the others.
    case matmul
    /// PyTorch's conv2d (cross-correlation); inputs (x, w) or (x, w, bias).
    case conv2d(ConvolutionGeometry)
    /// relu(conv2d(x, w) + b), a ConvNet layer written in one pass; inputs as conv2d's.
    case rectifiedConv2d(ConvolutionGeometry)
    /// The adjoint of conv2d in its input (transposed convolution); inputs (gy, w).
    case conv2dInputGradient(ConvolutionGeometry)
    /// The adjoint of conv2d in its weight; inputs (x, gy).
    case conv2dWeightGradient(ConvolutionGeometry)
    /// `out[i] = x[index[i]]` over flat storage (max pooling, windows).
    case gather(indices: [Int32])
    /// `out[index[i]] += x[i]`: the adjoint of gather.
    case scatterAdd(indices: [Int32])

    /// The name of an operation without its payload, to look up or replace its rule.
    public enum Kind: Hashable, Sendable, CaseIterable {
        case add, subtract, multiply, divide, negate, exp, log, sqrt, power, relu, maximum, select
        case sum, max, expand, reshape, permute, slice, pad, concatenate, matmul
        case conv2d, rectifiedConv2d, conv2dInputGradient, conv2dWeightGradient, gather, scatterAdd
    }

    public var kind: Kind {
        switch self {
        case .add: .add
        case .subtract: .subtract
        case .multiply: .multiply
        case .divide: .divide
        case .negate: .negate
        case .exp: .exp
        case .log: .log
        case .sqrt: .sqrt
        case .power: .power
        case .relu: .relu
        case .maximum: .maximum
        case .select: .select
        case .sum: .sum
        case .max: .max
        case .expand: .expand
        case .reshape: .reshape
        case .permute: .permute
        case .slice: .slice
        case .pad: .pad
        case .concatenate: .concatenate
        case .matmul: .matmul
        case .conv2d: .conv2d
        case .rectifiedConv2d: .rectifiedConv2d
        case .conv2dInputGradient: .conv2dInputGradient
        case .conv2dWeightGradient: .conv2dWeightGradient
        case .gather: .gather
        case .scatterAdd: .scatterAdd
        }
    }
}
