/// Every derivative rule camlab knows, in one table.
///
/// Each rule maps the gradient `g` of an operation's output to the gradients of its inputs
/// (a vector–Jacobian product), written with the same differentiable tensor operations as the
/// forward pass. When gradients are recorded (`createGraph: true`), a rule's result is itself a
/// graph and can be differentiated again: that is how Grad-CAM++'s second and third derivatives
/// are computed for real. Broadcasting is undone by the caller, in one place
/// (`Tensor.summed(toShape:)` in `Gradient.swift`), so rules may return broadcast shapes.
public struct DerivativeRules {
    /// A replacement rule: given the operation's inputs, its output and the output's gradient,
    /// the gradients of the inputs (nil where an input gets none).
    public typealias Rule = (_ inputs: [Tensor], _ output: Tensor, _ gradient: Tensor) -> [Tensor?]

    private var replacements: [Operation.Kind: Rule] = [:]

    /// The true derivatives.
    public static var standard: DerivativeRules { DerivativeRules() }

    /// These rules with one operation's rule replaced, for one gradient computation — e.g.
    /// guided backprop's ReLU. The model and the standard table stay as they are.
    public func replacing(_ kind: Operation.Kind, with rule: @escaping Rule) -> DerivativeRules {
        var copy = self
        copy.replacements[kind] = rule
        return copy
    }

    /// Gradients of `inputs` given the gradient `g` of `output = operation(inputs)`; only the
    /// inputs marked in `needed` are computed.
    func inputGradients(_ operation: Operation, _ x: [Tensor], _ y: Tensor, _ g: Tensor,
                        needed: [Bool]) -> [Tensor?] {
        if let replacement = replacements[operation.kind] { return replacement(x, y, g) }
        /// Evaluates only the rules of the inputs that need a gradient.
        func each(_ rules: () -> Tensor...) -> [Tensor?] {
            zip(rules, needed).map { rule, isNeeded in isNeeded ? rule() : nil }
        }
        switch operation {
        case .add:        return each({ g }, { g })
        case .subtract:   return each({ g }, { -g })
        case .multiply:   return each({ g * x[1] }, { g * x[0] })
        case .divide:     return each({ g / x[1] }, { -g * x[0] / (x[1] * x[1]) })
        case .negate:     return [-g]
        case .exp:        return [g * y]                                  // d eˣ = eˣ
        case .log:        return [g / x[0]]                               // d log x = 1/x
        case .sqrt:       return [g * 0.5 / y]                            // d √x = 1/(2√x)
        case .power(let p): return [g * p * x[0].pow(p - 1)]              // d xᵖ = p xᵖ⁻¹
        case .relu:       return [g.keptWherePositive(x[0])]             // g · (x > 0)
        case .maximum:
            let share = x[0].isGreater(than: x[1]) + 0.5 * x[0].isEqual(to: x[1])
            return each({ g * share }, { g * (1 - share) })
        case .select(let mask):
            return each({ g * mask }, { g * (1 - mask) })
        case .sum:        return [g.expanded(to: x[0].shape)]
        case .max(let axes):
            let winners = x[0].isEqual(to: y.detached())
            return [g.expanded(to: x[0].shape) * (winners / winners.sum(alongAxes: axes, keepingDimensions: true))]
        case .expand:     return [g]                                      // summed back by the caller
        case .reshape:    return [g.reshaped(to: x[0].shape)]
        case .permute(let axes):
            var inverse = axes
            for (i, axis) in axes.enumerated() { inverse[axis] = i }
            return [g.permuted(inverse)]
        case .slice(let axis, let range):
            return [g.padded(alongAxis: axis, before: range.lowerBound, after: x[0].shape[axis] - range.upperBound)]
        case .pad(let axis, let before, _):
            return [g.sliced(alongAxis: axis, range: before..<(before + x[0].shape[axis]))]
        case .concatenate(let axis):                                     // each input gets its slice
            var start = 0
            return x.map { input in
                defer { start += input.shape[axis] }
                return g.sliced(alongAxis: axis, range: start..<(start + input.shape[axis]))
            }
        case .matmul:
            return each({ g.matmul(x[1].transposed()) }, { x[0].transposed().matmul(g) })
        // conv2d is linear in each input; the three convolution primitives are each other's adjoints.
        case .conv2d(let geometry):                                       // y = conv(x, w) + b
            return each({ Tensor.convolution(.conv2dInputGradient(geometry), g, x[1]) },
                        { Tensor.convolution(.conv2dWeightGradient(geometry), x[0], g) },
                        { g.sum(alongAxes: [0, 2, 3]) })
        case .rectifiedConv2d(let geometry):                              // y = relu(conv(x, w) + b)
            // First order with the true ReLU: the kernels mask g as they copy it.
            if !GradientMode.isRecording, replacements[.relu] == nil,
               let parts = Tensor.rectifiedConvolutionGradients(geometry, x, y, g, needed: needed) { return parts }
            // Otherwise the ReLU's rule (guided backprop's, if replaced), with y standing for the
            // ReLU's input: y > 0 exactly where conv(x, w) + b > 0. Then conv2d's rule.
            let masked = inputGradients(.relu, [y], y, g, needed: [true])[0]!
            return inputGradients(.conv2d(geometry), x, y, masked, needed: needed)
        case .conv2dInputGradient(let geometry):                          // y = convᵀ(u, w)
            return each({ Tensor.convolution(.conv2d(geometry), g, x[1]) },
                        { Tensor.convolution(.conv2dWeightGradient(geometry), g, x[0]) })
        case .conv2dWeightGradient(let geometry):                         // y = ∂⟨u, conv(x, ·)⟩
            return each({ Tensor.convolution(.conv2dInputGradient(geometry), x[1], g) },
                        { Tensor.convolution(.conv2d(geometry), x[0], g) })
        case .gather(let indices):
            return [g.scatteredAdding(atFlatIndices: indices, shape: x[0].shape)]
        case .scatterAdd(let indices):
            return [g.gathered(atFlatIndices: indices, shape: x[0].shape)]
        }
    }
}
