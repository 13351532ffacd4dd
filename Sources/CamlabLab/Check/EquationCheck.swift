import Foundation
import CamlabCore
import CamlabMethods
import CamlabNN

/// `camlab check NAME`: both sides of one of the tutorial's equations, computed independently on a
/// real image, and their difference — so a learner sees an equation hold (or see where it stops
/// holding) with numbers rather than taking it on trust.
public struct EquationCheck {
    public enum Name: String, CaseIterable, Sendable {
        case eq1, eq2, eq3
        case gradcamIsCam = "gradcam-is-cam"
        case gradcamppExact = "gradcampp-exact"

        public var summary: String {
            switch self {
            case .eq1: "y^c = Σ_k w_k^c F^k + b^c, from the GAP outputs F^k"
            case .eq2: "∂y^c/∂F^k = w_k^c: the class weights are the gradients of the score with respect to the GAP outputs"
            case .eq3: "∂y^c/∂A^k_ij = w_k^c / Z at the layer that feeds global average pooling"
            case .gradcamIsCam: "Grad-CAM's α_k^c = w_k^c / Z there, so the normalized maps coincide; at an earlier layer they part"
            case .gradcamppExact: "Grad-CAM++'s closed-form α against α from true second and third derivatives"
            }
        }
    }

    /// One compared quantity: its two sides and how far apart they are.
    public struct Row {
        public let label: String
        public let left: Double
        public let right: Double
        public var difference: Double { Swift.abs(left - right) }
    }

    public let name: Name
    public let rows: [Row]
    /// The largest difference that still counts as equal (Float32 rounding of the computation).
    public let tolerance: Double
    /// Whether the equation is expected to hold here (an earlier layer shows where it stops holding).
    public let expectedToHold: Bool
    /// Lines of explanation printed after the table.
    public let notes: [String]
    /// Other numbers the notes quote, for lesson expectations (`max_gradient`).
    public private(set) var values: [String: Double] = [:]

    public var maximumDifference: Double { rows.map(\.difference).max() ?? 0 }
    public var holds: Bool { maximumDifference <= tolerance }
    /// A check passes when it behaves as the tutorial says: equal where it should be.
    public var passes: Bool { !expectedToHold || holds }

    public init(_ name: Name, network: Network, input: Tensor, classIndex: Int?, layer: String?) throws {
        self.name = name
        let logits = withoutGradient { network(input) }
        try NonFiniteOutput.check(logits)
        let c = classIndex ?? logits.argmaxAlongLastAxis()[0]
        let head = try Self.head(of: network)
        switch name {
        case .eq1:
            let values = withoutGradient { network.run(input, keeping: [head.features]) }
            let (output, f) = (values[network.program.output]!, values[head.features]!.scalars)
            let w = Self.row(c, of: head.classifier.weight)
            let bias = Double(head.classifier.bias?.scalars[c] ?? 0)
            let sum = zip(w, f).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } + bias
            rows = [Row(label: "y^\(c) (the network's logit)  vs  Σ_k w_k F^k + b", left: Double(output.scalars[c]), right: sum)]
            tolerance = 1e-4 * Swift.max(1, Swift.abs(sum))
            expectedToHold = true
            notes = ["\(f.count) GAP outputs F^k, \(w.count) weights w_k^\(c); bias b^\(c) = \(Self.format(bias))."]
        case .eq2:
            let values = network.run(input, keeping: [head.features])
            let (output, f) = (values[network.program.output]!, values[head.features]!)
            let g = gradient(of: output.sliced(alongAxis: 1, range: c..<(c + 1)).sum(), withRespectTo: f).scalars
            let w = Self.row(c, of: head.classifier.weight)
            rows = (0..<Swift.min(w.count, 8)).map { k in Row(label: "∂y/∂F^\(k)  vs  w_\(k)", left: Double(g[k]), right: Double(w[k])) }
                + [Row(label: "max over all \(w.count) k of |∂y/∂F^k − w_k|", left: zip(g, w).map { Double(Swift.abs($0 - $1)) }.max() ?? 0, right: 0)]
            tolerance = 1e-6
            expectedToHold = true
            notes = ["The linear layer's Jacobian is its weight matrix: eq. 2 holds exactly."]
        case .eq3, .gradcamIsCam:
            let target = layer ?? network.architecture.targetLayer
            let pass = try LayerPass(network: network, input: input, layerName: target, classes: [c], target: .logit)
            let feedsPool = (try? CAM().weights(pass)) != nil
            let z = Double(pass.activations.shape[2] * pass.activations.shape[3])
            let w = Self.row(c, of: head.classifier.weight)
            if name == .eq3 {
                let g = pass.gradients
                let plane = Int(z)
                let k = min(g.shape[1], w.count)
                var worst = 0.0
                if feedsPool { for kk in 0..<k { for p in 0..<plane { worst = Swift.max(worst, Swift.abs(Double(g.scalars[kk * plane + p]) - Double(w[kk]) / z)) } } }
                if feedsPool {
                    rows = (0..<Swift.min(k, 6)).map { kk in
                        Row(label: "∂y/∂A^\(kk)_00  vs  w_\(kk)/Z", left: Double(g.scalars[kk * plane]), right: Double(w[kk]) / z)
                    } + [Row(label: "max over all k, i, j", left: worst, right: 0)]
                } else {
                    // Where eq. 3 held, ∂y/∂A^k would be the same at every position: show how far from constant it is.
                    let spread = (0..<g.shape[1]).map { kk -> Double in
                        let values = g.scalars[(kk * plane)..<((kk + 1) * plane)]
                        return Double((values.max() ?? 0) - (values.min() ?? 0))
                    }.max() ?? 0
                    rows = [Row(label: "largest spread of ∂y/∂A^k_ij over positions", left: spread, right: 0)]
                }
                tolerance = 1e-6
                expectedToHold = feedsPool
                notes = feedsPool
                    ? ["Z = \(Int(z)) positions (\(pass.activations.shape[2])×\(pass.activations.shape[3])): every position of A^k gets the same gradient w_k/Z."]
                    : ["\(target) does not feed global average pooling directly, so ∂y/∂A varies with position and eq. 3 does not apply here."]
            } else {
                let alpha = GradCAM().weights(pass).scalars
                let gradcamMap = try Explainer(network: network).explain(input, ExplanationRequest(method: .gradcam, classes: [c], layers: [target]))[0].map!
                let camLayer = network.architecture.targetLayer
                let camMap = try Explainer(network: network).explain(input, ExplanationRequest(method: .cam, classes: [c], layers: [camLayer]))[0].map!
                let mapDifference = zip(gradcamMap.scalars, camMap.scalars).map { Double(Swift.abs($0 - $1)) }.max() ?? 0
                var list: [Row] = []
                if feedsPool {
                    list = (0..<Swift.min(alpha.count, 6)).map { k in Row(label: "α_\(k) · Z  vs  w_\(k)", left: Double(alpha[k]) * z, right: Double(w[k])) }
                }
                list.append(Row(label: "max |Grad-CAM map (\(target)) − CAM map (\(camLayer))|", left: mapDifference, right: 0))
                rows = list
                tolerance = 1e-4
                expectedToHold = feedsPool
                notes = feedsPool
                    ? ["α_k = (1/Z) Σ_ij ∂y/∂A^k_ij = w_k/Z, and a constant factor 1/Z disappears when the map is scaled to [0, 1]."]
                    : ["At \(target) the path to the score passes through non-linear layers, so the gradient is not w/Z and Grad-CAM's map differs from CAM's by up to \(Self.format(mapDifference))."]
            }
        case .gradcamppExact:
            let target = layer ?? network.architecture.targetLayer
            let pass = try LayerPass(network: network, input: input, layerName: target, classes: [c], target: .logit)
            let derivatives = try HigherOrderDerivatives(pass: pass)
            let g = derivatives.scoreGradient
            let sumA = withoutGradient { pass.activations.sum(alongAxes: [2, 3]) }.scalars
            let plane = pass.activations.shape[2] * pass.activations.shape[3]
            let positions = HigherOrderDerivatives.sample(g.scalars.indices.filter { g.scalars[$0] > 0 }, count: 12)
            rows = positions.map { p in
                let (second, third) = derivatives.diagonal(at: p)
                let exact = Double(second) / (2 * Double(second) + Double(sumA[p / plane]) * Double(third))
                let gp = Double(g.scalars[p])
                let closed = gp * gp / (2 * gp * gp + Double(sumA[p / plane]) * gp * gp * gp)
                return Row(label: "α at k=\(p / plane), i=\(p % plane / pass.activations.shape[3]), j=\(p % pass.activations.shape[3]): closed vs exact", left: closed, right: exact)
            }
            tolerance = 1e-3 * Swift.max(1e-12, rows.map { Swift.abs($0.right) }.max() ?? 1)
            expectedToHold = true
            // pytorch-grad-cam adds 1e-6 to the denominator: say how much that moves α here.
            let libraryShift = positions.map { p -> Double in
                let gp = Double(g.scalars[p]), a = Double(sumA[p / plane])
                return Swift.abs(gp * gp / (2 * gp * gp + a * gp * gp * gp + 1e-6) - gp * gp / (2 * gp * gp + a * gp * gp * gp))
            }.max() ?? 0
            let typical = positions.map { Swift.abs(Double(g.scalars[$0])) }.max() ?? 0
            values = ["max_gradient": typical, "library_shift": libraryShift]
            notes = ["Y = exp(y^c) for class c = \(c) (\(network.classes[c])); ∂²Y and ∂³Y are the autodiff's own gradient differentiated twice more, at \(rows.count) positions with a positive gradient.",
                     "The closed form replaces them by (∂Y)²/Y and (∂Y)³/Y², exact when y is piecewise linear in A (ReLU, max-pool, conv, linear).",
                     "pytorch-grad-cam adds 1e-6 to the denominator; with gradients up to \(Self.format(typical)) that changes α by up to \(Self.format(libraryShift)) here."]
        }
    }

    /// The slot of the global-average-pooling outputs F and the linear classifier after them.
    static func head(of network: Network) throws -> (features: Int, classifier: Linear) {
        guard let head = network.globalPoolingHead(after: network.architecture.targetLayer)
        else { throw ExplanationError.needsGlobalAveragePooling(network.architecture.targetLayer) }
        return head
    }

    static func row(_ c: Int, of weight: Tensor) -> [Float] {
        let width = weight.shape[1]
        return Array(weight.scalars[(c * width)..<((c + 1) * width)])
    }

    static func format(_ x: Double) -> String { String(format: "%.6g", x) }

    /// The check as a person reads it.
    public func humanReadable(terminal: Terminal) -> String {
        var lines = [terminal.bold("check \(name.rawValue)") + ": " + name.summary]
        let width = (rows.map(\.label.count).max() ?? 0) + 2
        lines.append("  " + "".padding(toLength: width, withPad: " ", startingAt: 0) + "left".padding(toLength: 14, withPad: " ", startingAt: 0)
                     + "right".padding(toLength: 14, withPad: " ", startingAt: 0) + "difference")
        for row in rows {
            lines.append("  " + row.label.padding(toLength: width, withPad: " ", startingAt: 0)
                         + Self.format(row.left).padding(toLength: 14, withPad: " ", startingAt: 0)
                         + Self.format(row.right).padding(toLength: 14, withPad: " ", startingAt: 0) + Self.format(row.difference))
        }
        lines += notes.map { "  " + $0 }
        let verdict = holds ? "holds: largest difference \(Self.format(maximumDifference)) ≤ \(Self.format(tolerance))"
                            : (expectedToHold ? "" : "as expected, ") + "it does not hold here: largest difference \(Self.format(maximumDifference)) > \(Self.format(tolerance))"
        lines.append(passes ? terminal.green("✓ \(verdict)") : terminal.red("✗ \(verdict)"))
        return lines.joined(separator: "\n")
    }

    public var json: String {
        JSONValue.object([
            ("check", .string(name.rawValue)), ("holds", .bool(holds)), ("expected_to_hold", .bool(expectedToHold)),
            ("passes", .bool(passes)), ("max_difference", .double(maximumDifference)), ("tolerance", .double(tolerance)),
            ("rows", .array(rows.map { .object([("label", .string($0.label)), ("left", .double($0.left)), ("right", .double($0.right))]) })),
        ]).text
    }
}
