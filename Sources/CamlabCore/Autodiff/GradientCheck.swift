/// Finite-difference checks of the autodiff, for the tests and for lesson 1.
///
/// The function is evaluated in Float, as it runs; the differences are formed in Double with the
/// fourth-order central stencil f'(x) ≈ [8(f(x+h) − f(x−h)) − (f(x+2h) − f(x−2h))] / 12h, whose
/// truncation error is O(h⁴). With h = 1e-2 on inputs of order one, that is ~1e-8, and the
/// Float rounding of f (≈ 6e-8·|f| per evaluation) contributes at most 18·6e-8·|f| / 12h ≈ 1e-5·|f|.
/// A tolerance of 1e-3 relative to max(1, |∇f|) therefore separates a wrong rule from noise.
public enum GradientCheck {
    public struct Comparison {
        /// ∂f/∂x from the autodiff, per input, flat.
        public let analytic: [[Float]]
        /// ∂f/∂x from finite differences, per input, flat.
        public let numeric: [[Double]]

        /// The largest |analytic − numeric| / max(1, maxⱼ |numericⱼ|), per input. The rounding of f
        /// grows with the size of the whole gradient, not of one component, so a component near
        /// zero is judged against the gradient's scale (as `allclose` with an absolute tolerance).
        public var maximumError: Double {
            zip(analytic, numeric).map { a, n in
                let scale = Swift.max(1, n.map { Swift.abs($0) }.max() ?? 0)
                return zip(a, n).map { Swift.abs(Double($0) - $1) / scale }.max() ?? 0
            }.max() ?? 0
        }
    }

    /// Compares the autodiff gradient of a scalar function with finite differences.
    public static func compare(at inputs: [Tensor], step: Double = 1e-2,
                               _ function: ([Tensor]) -> Tensor) -> Comparison {
        let leaves = inputs.map { $0.requiringGradient() }
        let value = function(leaves)
        precondition(value.count == 1, "GradientCheck: the function must return one number, got shape \(value.shape)")
        let analytic = gradients(of: value, withRespectTo: leaves).map(\.scalars)
        let numeric = numericGradients(at: inputs, step: step) { tensors in
            withoutGradient { Double(function(tensors).scalar) }
        }
        return Comparison(analytic: analytic, numeric: numeric)
    }

    /// Compares the derivative of a recorded gradient — ∂/∂x Σ (s ⊙ ∂f/∂x) with fixed weights s —
    /// with finite differences of that first-order gradient: a check of second derivatives.
    public static func compareSecondOrder(at inputs: [Tensor], weights: [Tensor], step: Double = 1e-2,
                                          _ function: @escaping ([Tensor]) -> Tensor) -> Comparison {
        precondition(weights.count == inputs.count && zip(weights, inputs).allSatisfy { $0.shape == $1.shape },
                     "GradientCheck: one weight tensor per input, of the same shape")
        func weightedGradient(_ tensors: [Tensor], createGraph: Bool) -> Tensor {
            let first = gradients(of: function(tensors), withRespectTo: tensors, createGraph: createGraph)
            return zip(first, weights).map { ($0 * $1).sum() }.reduce(Tensor(0), +)
        }
        return compare(at: inputs, step: step) { tensors in
            // Inside `compare` the leaves require gradients; finite differences call this with
            // plain tensors, so make them leaves to be able to take the first gradient at all.
            let leaves = tensors.allSatisfy(\.requiresGradient) ? tensors : tensors.map { $0.requiringGradient() }
            return GradientMode.$isEnabled.withValue(true) {
                weightedGradient(leaves, createGraph: tensors.allSatisfy(\.requiresGradient))
            }
        }
    }

    static func numericGradients(at inputs: [Tensor], step: Double,
                                 _ evaluate: ([Tensor]) -> Double) -> [[Double]] {
        inputs.indices.map { which in
            (0..<inputs[which].count).map { element in
                func shifted(_ delta: Double) -> Double {
                    var perturbed = inputs
                    var values = inputs[which].scalars
                    values[element] = Float(Double(values[element]) + delta)
                    perturbed[which] = Tensor(shape: inputs[which].shape, scalars: values)
                    return evaluate(perturbed)
                }
                // x ± h is rounded to Float: that moves the step by at most half an ulp of x,
                // a relative error of ~6e-6 in the derivative for h = 1e-2, far below the tolerance.
                return (8 * (shifted(step) - shifted(-step)) - (shifted(2 * step) - shifted(-2 * step))) / (12 * step)
            }
        }
    }
}
