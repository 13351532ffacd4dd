import Foundation
import CamlabCore

/// Updates a network's parameters from their gradients, with PyTorch's semantics so that the same
/// hyper-parameters mean the same thing in both.
public protocol Optimizer {
    /// One step: `gradients[i]` belongs to `network.parameters[i]`.
    mutating func step(_ network: Network, gradients: [Tensor])
}

/// Stochastic gradient descent with momentum and L2 weight decay, as `torch.optim.SGD`
/// (dampening 0, no Nesterov): g ← g + λp; b ← μb + g (b = g at the first step); p ← p − ηb.
public struct SGD: Optimizer {
    public var learningRate: Float
    public var momentum: Float
    public var weightDecay: Float
    private var buffers: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public mutating func step(_ network: Network, gradients: [Tensor]) {
        for ((name, parameter), gradient) in zip(network.parameters, gradients) {
            var p = parameter.scalars
            var g = gradient.scalars
            if weightDecay != 0 { for i in g.indices { g[i] += weightDecay * p[i] } }
            if momentum != 0 {
                if var buffer = buffers[name] {
                    for i in g.indices { buffer[i] = momentum * buffer[i] + g[i] }
                    buffers[name] = buffer
                    g = buffer
                } else {
                    buffers[name] = g
                }
            }
            for i in p.indices { p[i] -= learningRate * g[i] }
            network.setParameter(named: name, to: Tensor(shape: parameter.shape, scalars: p, requiresGradient: true))
        }
    }
}

/// Adam, as `torch.optim.Adam` (L2 weight decay added to the gradient, not AdamW):
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (η / (1−β₁ᵗ)) · m / (√v / √(1−β₂ᵗ) + ε).
public struct Adam: Optimizer {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    private var moments: [String: (first: [Float], second: [Float])] = [:]
    private var stepCount = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    public mutating func step(_ network: Network, gradients: [Tensor]) {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - Foundation.pow(beta1, t)
        let correction2Root = (1 - Foundation.pow(beta2, t)).squareRoot()
        let stepSize = learningRate / correction1
        for ((name, parameter), gradient) in zip(network.parameters, gradients) {
            var p = parameter.scalars
            let g = gradient.scalars
            var (m, v) = moments[name] ?? ([Float](repeating: 0, count: p.count), [Float](repeating: 0, count: p.count))
            for i in p.indices {
                let gi = weightDecay == 0 ? g[i] : g[i] + weightDecay * p[i]
                m[i] = beta1 * m[i] + (1 - beta1) * gi
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2Root + epsilon)
            }
            moments[name] = (m, v)
            network.setParameter(named: name, to: Tensor(shape: parameter.shape, scalars: p, requiresGradient: true))
        }
    }
}
