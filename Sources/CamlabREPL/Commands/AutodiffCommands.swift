import CamlabCore
import CamlabLab
import CamlabNN
import Foundation

/// Lesson 1's commands: a small graph, its backward pass, gradients checked against finite
/// differences, a gradient of a gradient — all computed by CamlabCore, nothing canned.

struct AutodiffCommand: Command {
    let name = "autodiff"
    let usage = "autodiff [A B C F]"
    let summary = "The graph L = (a·b + c)·f: forward values, backward pass, finite differences (default 2 −3 10 −2)."
    let details = """
        e = a·b, d = e + c, L = d·f. The backward pass starts from ∂L/∂L = 1 and applies each node's
        local rule: ∂L/∂d = f, ∂L/∂f = d, ∂L/∂e = ∂L/∂d (addition passes gradients on), ∂L/∂a = ∂L/∂e · b,
        ∂L/∂b = ∂L/∂e · a. Values: L, dL_da, dL_db, dL_dc, dL_df, max_error.
        """
    let topic = CommandTopic.autodiff

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let numbers = try arguments.map { argument -> Float in
            guard let x = Float(argument), x.isFinite else { throw CommandError.usage(usage + " (four numbers)") }
            return x
        }
        guard numbers.isEmpty || numbers.count == 4 else { throw CommandError.usage(usage + " (four numbers, or none)") }
        let start = numbers.isEmpty ? [2, -3, 10, -2] : numbers
        let (a, b, c, f) = (Tensor(start[0]).requiringGradient(), Tensor(start[1]).requiringGradient(),
                            Tensor(start[2]).requiringGradient(), Tensor(start[3]).requiringGradient())
        let e = a * b
        let d = e + c
        let loss = d * f
        let all = gradients(of: loss, withRespectTo: [a, b, c, f, e, d]).map(\.scalar)
        let check = GradientCheck.compare(at: [Tensor(start[0]), Tensor(start[1]), Tensor(start[2]), Tensor(start[3])]) { x in
            (x[0] * x[1] + x[2]) * x[3]
        }
        func v(_ x: Float) -> String { formatted(x, decimals: 4) }
        var lines = ["Forward (each node from its inputs):",
                     "  a = \(v(start[0]))   b = \(v(start[1]))   c = \(v(start[2]))   f = \(v(start[3]))",
                     "  e = a·b = \(v(e.scalar))",
                     "  d = e + c = \(v(d.scalar))",
                     "  L = d·f = \(v(loss.scalar))",
                     "Backward (from ∂L/∂L = 1, each node's rule times the gradient arriving at it):",
                     "  ∂L/∂d = f = \(v(all[5]))        ∂L/∂f = d = \(v(all[3]))",
                     "  ∂L/∂e = ∂L/∂d · 1 = \(v(all[4]))  ∂L/∂c = ∂L/∂d · 1 = \(v(all[2]))",
                     "  ∂L/∂a = ∂L/∂e · b = \(v(all[0]))  ∂L/∂b = ∂L/∂e · a = \(v(all[1]))",
                     "Finite differences [8(L(x+h) − L(x−h)) − (L(x+2h) − L(x−2h))] / 12h, h = 0.01:"]
        let names = ["a", "b", "c", "f"]
        for (i, name) in names.enumerated() {
            lines.append("  ∂L/∂\(name): autodiff \(v(check.analytic[i][0]))   numeric \(formatted(check.numeric[i][0], decimals: 6))")
        }
        lines.append("largest relative error \(formatted(check.maximumError)) — " + (check.maximumError < 1e-3 ? "the gradients agree." : "they disagree!"))
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["L": .number(Double(loss.scalar)), "dL_da": .number(Double(all[0])), "dL_db": .number(Double(all[1])),
                                      "dL_dc": .number(Double(all[2])), "dL_df": .number(Double(all[3])),
                                      "max_error": .number(check.maximumError)],
                             isResult: true)
    }
}

struct GradCheckCommand: Command {
    let name = "gradcheck"
    let usage = "gradcheck [OPERATION]"
    let summary = "Compare an operation's autodiff gradient with finite differences (softmax, conv2d, …)."
    var details: String {
        "OPERATION is all (the default) or one of: " + Self.operations.map(\.name).joined(separator: ", ")
            + ".\nEach runs on small random inputs and is reduced to one number with fixed random weights s,"
            + " f(x) = Σ s ⊙ op(x), so every output element's gradient is checked. Values: max_error, operations (how many were checked)."
    }
    let topic = CommandTopic.autodiff

    /// Each operation on small random inputs, reduced to one number by fixed random weights s:
    /// f(x) = Σ s ⊙ op(x), so every output element's gradient is checked.
    static let operations: [(name: String, shapes: [[Int]], apply: ([Tensor]) -> Tensor)] = [
        ("exp", [[2, 3]], { $0[0].exp() }),
        ("log", [[2, 3]], { ($0[0] * $0[0] + 1).log() }),
        ("sqrt", [[2, 3]], { ($0[0] * $0[0] + 1).sqrt() }),
        ("divide", [[2, 3], [2, 3]], { $0[0] / ($0[1] * $0[1] + 1) }),
        ("softmax", [[2, 4]], { $0[0].softmax(alongAxis: 1) }),
        ("logsoftmax", [[2, 4]], { $0[0].logSoftmax(alongAxis: 1) }),
        ("matmul", [[2, 3], [3, 4]], { $0[0].matmul($0[1]) }),
        ("conv2d", [[1, 2, 5, 5], [3, 2, 3, 3]], { $0[0].conv2d(weight: $0[1], padding: 1) }),
        ("maxpool", [[1, 2, 4, 4]], { $0[0].maxPool2d(kernel: 2) }),
        ("gap", [[1, 3, 4, 4]], { $0[0].globalAveragePooled() }),
        ("mean", [[3, 4]], { $0[0].mean(alongAxis: 1) }),
    ]

    func completions(argument index: Int, previous: [String], prefix: String, lab: Lab) -> Completer.Candidates {
        .words(Self.operations.map(\.name) + ["all"])
    }

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let wanted = arguments.first ?? "all"
        let chosen = wanted == "all" ? Self.operations : Self.operations.filter { $0.name == wanted }
        guard !chosen.isEmpty else {
            let suggestion = Suggestion.closest(to: wanted, among: Self.operations.map(\.name))
            throw CommandError.message("camlab has no gradient check '\(wanted)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "; try one of \(Self.operations.map(\.name).joined(separator: ", "))."))
        }
        var generator = RandomGenerator(seed: 7)
        var lines = [padded("operation", 12) + padded("inputs", 22) + rightAligned("max error", 12) + "  verdict"]
        var worst = 0.0
        for operation in chosen {
            try Interruption.check()
            let inputs = operation.shapes.map { Tensor.normal($0, generator: &generator) }
            let outputShape = withoutGradient { operation.apply(inputs) }.shape
            let weights = Tensor.normal(outputShape, generator: &generator)
            let comparison = GradientCheck.compare(at: inputs) { x in (operation.apply(x) * weights).sum() }
            worst = Swift.max(worst, comparison.maximumError)
            let passed = comparison.maximumError < 1e-3
            lines.append(padded(operation.name, 12) + padded(operation.shapes.map { $0.map(String.init).joined(separator: "×") }.joined(separator: ", "), 22)
                         + rightAligned(formatted(comparison.maximumError), 12) + "  " + (passed ? lab.terminal.green("agrees") : lab.terminal.red("DISAGREES")))
        }
        lines.append(lab.terminal.dim("error = max |autodiff − numeric| / max(1, |numeric|); below 1e-3 separates a wrong rule from Float rounding."))
        return CommandOutput(lines.joined(separator: "\n"), values: ["max_error": .number(worst), "operations": .number(Double(chosen.count))], isResult: true)
    }
}

struct GradGradCommand: Command {
    let name = "gradgrad"
    let usage = "gradgrad [X]"
    let summary = "A gradient of a gradient: f(x) = x·eˣ differentiated three times by the autodiff (default x = 0.5)."
    let details = """
        f = x eˣ, f′ = (1 + x) eˣ, f″ = (2 + x) eˣ, f‴ = (3 + x) eˣ. With createGraph the backward pass is
        itself recorded, so its result can be differentiated again — what Grad-CAM++ needs for its
        second and third derivatives. Values: first, second, third, max_error.
        """
    let topic = CommandTopic.autodiff

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        guard let x0 = arguments.isEmpty ? Float(0.5) : Float(arguments[0]), x0.isFinite, Swift.abs(x0) < 20 else {
            throw CommandError.usage(usage + " with |X| < 20")
        }
        let x = Tensor(x0).requiringGradient()
        let f = x * x.exp()
        let first = gradient(of: f, withRespectTo: x, createGraph: true)
        let second = gradient(of: first, withRespectTo: x, createGraph: true)
        let third = gradient(of: second, withRespectTo: x)
        let e = Foundation.exp(Double(x0))
        let closed = [(1 + Double(x0)) * e, (2 + Double(x0)) * e, (3 + Double(x0)) * e]
        let computed = [first.scalar, second.scalar, third.scalar].map(Double.init)
        // The second derivative once more, as finite differences of the recorded first derivative.
        let check = GradientCheck.compareSecondOrder(at: [Tensor(x0)], weights: [Tensor(1)]) { t in t[0] * t[0].exp() }
        var lines = ["x = \(formatted(x0)),  f(x) = x·eˣ = \(formatted(f.scalar, decimals: 6))",
                     padded("", 6) + rightAligned("autodiff", 14) + rightAligned("closed form", 14)]
        for (i, label) in ["f′", "f″", "f‴"].enumerated() {
            lines.append(padded(label, 6) + rightAligned(formatted(computed[i], decimals: 6), 14) + rightAligned(formatted(closed[i], decimals: 6), 14))
        }
        let error = zip(computed, closed).map { Swift.abs($0 - $1) / Swift.max(1, Swift.abs($1)) }.max() ?? 0
        lines.append("f″ by finite differences of the recorded f′: \(formatted(check.numeric[0][0], decimals: 6)) (error \(formatted(check.maximumError)))")
        lines.append("largest relative error against the closed forms: \(formatted(error))")
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["first": .number(computed[0]), "second": .number(computed[1]), "third": .number(computed[2]),
                                      "max_error": .number(Swift.max(error, check.maximumError))],
                             isResult: true)
    }
}
