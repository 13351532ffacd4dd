import CamlabCore

/// 2-D convolution (NCHW input, OIHW weight, bias per output channel), as `nn.Conv2d`.
public final class Conv2d: WeightedLayer {
    public let name: String
    public internal(set) var weight: Tensor
    public internal(set) var bias: Tensor
    public let stride: Int
    public let padding: Int

    public init(name: String, weight: Tensor, bias: Tensor, stride: Int = 1, padding: Int = 0) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.stride = stride
        self.padding = padding
    }


    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// This layer followed by a ReLU, in one step (see `Network.run`).
    func rectified(_ input: Tensor) -> Tensor {
        input.conv2dReLU(weight: weight, bias: bias, stride: stride, padding: padding)
    }
}

/// max(x, 0).
public final class ReLU: Layer {
    public let name: String
    public init(name: String) { self.name = name }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.relu() }
}

/// 2-D max pooling, as `nn.MaxPool2d(kernel, stride)`.
public final class MaxPool2d: Layer {
    public let name: String
    public let kernel: Int
    public let stride: Int
    public init(name: String, kernel: Int, stride: Int) {
        self.name = name
        self.kernel = kernel
        self.stride = stride
    }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.maxPool2d(kernel: kernel, stride: stride) }
}

/// Global average pooling, [N, C, H, W] → [N, C]: F^k = (1/Z) Σ_ij A^k_ij.
/// (PyTorch: `nn.AdaptiveAvgPool2d(1)` followed by `nn.Flatten()`.)
public final class GlobalAvgPool: Layer {
    public let name: String
    public init(name: String) { self.name = name }
    public func callAsFunction(_ input: Tensor) -> Tensor { input.globalAveragePooled() }
}

/// y = x Wᵀ + b, as `nn.Linear` (weight [out, in]).
public final class Linear: WeightedLayer {
    public let name: String
    public internal(set) var weight: Tensor
    public internal(set) var bias: Tensor

    public init(name: String, weight: Tensor, bias: Tensor) {
        self.name = name
        self.weight = weight
        self.bias = bias
    }


    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.matmul(weight.transposed()) + bias
    }
}

/// A layer with one weight and one bias (conv2d, linear), named `<layer>.weight` and `<layer>.bias`
/// as in PyTorch's state dicts.
protocol WeightedLayer: Layer {
    var weight: Tensor { get set }
    var bias: Tensor { get set }
}

extension WeightedLayer {
    public var parameters: [(name: String, tensor: Tensor)] { [("\(name).weight", weight), ("\(name).bias", bias)] }

    public func setParameter(named parameter: String, to tensor: Tensor) {
        switch parameter {
        case "\(name).weight": precondition(tensor.shape == weight.shape); weight = tensor
        case "\(name).bias": precondition(tensor.shape == bias.shape); bias = tensor
        default: preconditionFailure("layer '\(name)' has no parameter '\(parameter)'")
        }
    }
}
