import CamlabCore

/// A step of a network: a function of a tensor, with named parameters (possibly none).
///
/// Layers are classes because training replaces their parameters in place; explaining a model
/// never changes a layer (methods swap derivative rules for one gradient computation instead).
public protocol Layer: AnyObject {
    /// The layer's name in the architecture and in PyTorch's state dict (`features.0`, `classifier`).
    var name: String { get }
    /// Parameters in state-dict order, by their full names (`features.0.weight`, …).
    var parameters: [(name: String, tensor: Tensor)] { get }
    /// Replaces a parameter by its full name (training and loading).
    func setParameter(named name: String, to tensor: Tensor)
    func callAsFunction(_ input: Tensor) -> Tensor
}

extension Layer {
    public var parameters: [(name: String, tensor: Tensor)] { [] }
    public func setParameter(named name: String, to tensor: Tensor) {
        preconditionFailure("layer '\(self.name)' has no parameter '\(name)'")
    }
}

/// PyTorch's default initialization of conv and linear layers (`kaiming_uniform_(a=√5)` for the
/// weight, which is U(−1/√fan_in, 1/√fan_in), and the same bound for the bias).
func defaultInitialization(weightShape: [Int], biasCount: Int, fanIn: Int,
                           generator: inout RandomGenerator) -> (weight: Tensor, bias: Tensor) {
    let bound = 1 / Float(Double(fanIn).squareRoot())
    let weight = Tensor.uniform(weightShape, low: -bound, high: bound, generator: &generator, requiresGradient: true)
    let bias = Tensor.uniform([biasCount], low: -bound, high: bound, generator: &generator, requiresGradient: true)
    return (weight, bias)
}
