import CamlabCore
import CamlabImaging
import CamlabLab

/// The channels sorted by a value, largest first; the few a learner can read.
private func strongest(_ values: [Float], count: Int) -> [Int] {
    Array(values.indices.sorted { values[$0] > values[$1] }.prefix(count))
}

struct FeaturesCommand: Command {
    let name = "features"
    let usage = "features [K]"
    let summary = "The feature maps A^k of the current layer: their sizes, and the strongest (or map K) drawn."
    let details = """
        A^k_ij is channel k of the layer's output at position (i, j). After a ReLU every value is ≥ 0:
        a feature map is high where its pattern occurs. CAM and Grad-CAM weigh these maps.
        """
    let topic = CommandTopic.cam

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let probe = try LayerProbe(lab: lab)
        let means = probe.globalAveragePool
        let maxima = (0..<probe.channelCount).map { probe.featureMap($0).max() ?? 0 }
        let active = (0..<probe.channelCount).map { k in Float(probe.featureMap(k).filter { $0 > 0 }.count) / Float(probe.positions) }
        var lines = [probe.heading(lab.terminal),
                     padded("k", 5) + rightAligned("mean", 10) + rightAligned("max", 10) + rightAligned("active", 9)]
        for k in strongest(means, count: 8) {
            lines.append(padded(String(k), 5) + rightAligned(formatted(means[k]), 10) + rightAligned(formatted(maxima[k]), 10)
                         + rightAligned(String(format: "%.0f%%", 100 * active[k]), 9))
        }
        lines.append(lab.terminal.dim("(the 8 channels with the largest mean of \(probe.channelCount); 'active' = share of positions > 0)"))
        let shown: Int
        if let argument = arguments.first {
            guard let k = Int(argument), (0..<probe.channelCount).contains(k) else {
                throw CommandError.message("Choose a channel from 0 to \(probe.channelCount - 1).")
            }
            shown = k
        } else {
            shown = strongest(means, count: 1)[0]
        }
        let map = Array(probe.featureMap(shown))
        let peak = Swift.max(map.max() ?? 0, 1e-12)
        let scaled = map.map { $0 / peak }
        let side = (probe.activations.shape[3], probe.activations.shape[2])
        let picture = RGBImage(width: side.0, height: side.1, pixels: scaled.flatMap { v -> [UInt8] in
            let c = Colormap.viridis.color(at: v); return [c.red, c.green, c.blue]
        })
        let scale = Swift.max(1, 32 / Swift.max(side.0, 1))
        lines.append("A^\(shown) (\(side.0)×\(side.1), scaled by its maximum \(formatted(map.max() ?? 0))):")
        lines.append(TerminalHeatmap.render(picture, intensity: scaled, scale: scale, terminal: lab.terminal))
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["channels": .number(Double(probe.channelCount)), "height": .number(Double(probe.activations.shape[2])),
                                      "width": .number(Double(probe.activations.shape[3])),
                                      "negative": .number(Double(probe.activations.scalars.filter { $0 < 0 }.count))],
                             isResult: true)
    }
}

struct GAPCommand: Command {
    let name = "gap"
    let usage = "gap"
    let summary = "The GAP outputs F^k = (1/Z) Σ_ij A^k_ij, one number per feature map."
    let details = "Global average pooling keeps one number per channel: how much of its pattern the image holds, wherever it is."
    let topic = CommandTopic.cam

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let probe = try LayerProbe(lab: lab)
        let f = probe.globalAveragePool
        // The network's own pooling layer, to show that F is exactly what it computes.
        let pooled = withoutGradient { probe.activations.globalAveragePooled() }.scalars
        let difference = zip(f, pooled).map { Swift.abs($0 - $1) }.max() ?? 0
        var lines = [probe.heading(lab.terminal), "F^k = (1/Z) Σ_ij A^k_ij with Z = \(probe.positions) positions; the largest:"]
        for k in strongest(f, count: 8) { lines.append("  F^\(k) = \(formatted(f[k]))") }
        if f.count > 8 { lines.append(lab.terminal.dim("  … and \(f.count - 8) more channels")) }
        lines.append("\(f.filter { $0 == 0 }.count) of \(f.count) channels are 0 (their pattern is nowhere in the image).")
        lines.append("max |F − GAP layer output| = \(formatted(difference))")
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["channels": .number(Double(f.count)), "difference": .number(Double(difference)),
                                      "largest": .number(Double(f.max() ?? 0))],
                             isResult: true)
    }
}

struct WeightsCommand: Command {
    let name = "weights"
    let usage = "weights"
    let summary = "The classifier weights w_k^c of the explained class, and each channel's share w_k^c F^k."
    let details = "CAM's weights need no gradient: the last linear layer says how much each GAP output F^k counts for class c."
    let topic = CommandTopic.cam

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let probe = try LayerProbe(lab: lab)
        let (w, b) = try probe.classWeights()
        let f = probe.globalAveragePool
        let contributions = zip(w, f).map { $0 * $1 }
        var lines = [probe.heading(lab.terminal),
                     padded("k", 5) + rightAligned("w_k^c", 10) + rightAligned("F^k", 10) + rightAligned("w_k^c F^k", 12)]
        let order = contributions.indices.sorted { Swift.abs(contributions[$0]) > Swift.abs(contributions[$1]) }
        for k in order.prefix(8) {
            lines.append(padded(String(k), 5) + rightAligned(formatted(w[k]), 10) + rightAligned(formatted(f[k]), 10)
                         + rightAligned(formatted(contributions[k]), 12))
        }
        let rest = order.dropFirst(8).reduce(Float(0)) { $0 + contributions[$1] }
        lines.append(lab.terminal.dim("(the 8 largest contributions |w_k^c F^k| of \(w.count)"
            + (w.count > 8 ? "; the other \(w.count - 8) add up to \(formatted(rest))" : "") + "); bias b^c = \(formatted(b))"))
        lines.append("\(w.filter { $0 > 0 }.count) weights are positive (evidence for \(probe.className)), \(w.filter { $0 < 0 }.count) negative.")
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["bias": .number(Double(b)), "positive": .number(Double(w.filter { $0 > 0 }.count)),
                                      "channels": .number(Double(w.count))],
                             isResult: true)
    }
}

struct ScoreCommand: Command {
    let name = "score"
    let usage = "score"
    let summary = "Eq. 1 checked: the logit y^c beside Σ_k w_k^c F^k + b^c."
    let details = """
        y^c = Σ_k w_k^c F^k + b^c   (eq. 1). Because F^k = (1/Z) Σ_ij A^k_ij, the sum can be taken per
        position instead: y^c = (1/Z) Σ_ij M^c_ij + b^c with M^c_ij = Σ_k w_k^c A^k_ij — the CAM.
        Values: logit, sum, difference, map_mean.
        """
    let topic = CommandTopic.cam

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let probe = try LayerProbe(lab: lab)
        let (w, b) = try probe.classWeights()
        let f = probe.globalAveragePool
        let sum = zip(w, f).reduce(Double(b)) { $0 + Double($1.0) * Double($1.1) }
        let logit = Double(probe.classScore)
        // The same sum per position: the class activation map M^c, averaged.
        var mapMean = 0.0
        for p in 0..<probe.positions {
            mapMean += (0..<probe.channelCount).reduce(0.0) { $0 + Double(w[$1]) * Double(probe.activations.scalars[$1 * probe.positions + p]) }
        }
        mapMean /= Double(probe.positions)
        let difference = Swift.abs(logit - sum)
        let lines = [probe.heading(lab.terminal),
                     "y^c (the network's logit)           = \(formatted(logit, decimals: 6))",
                     "Σ_k w_k^c F^k + b^c   (eq. 1)       = \(formatted(sum, decimals: 6))",
                     "(1/Z) Σ_ij M^c_ij + b^c  (CAM mean)  = \(formatted(mapMean + Double(b), decimals: 6))",
                     "difference |y^c − Σ_k w_k^c F^k − b^c| = \(formatted(difference))"]
        return CommandOutput(lines.joined(separator: "\n"),
                             values: ["logit": .number(logit), "sum": .number(sum), "difference": .number(difference),
                                      "map_mean": .number(mapMean)],
                             isResult: true)
    }
}

struct GradsCommand: Command {
    let name = "grads"
    let usage = "grads"
    let summary = "∂y^c/∂A^k by backpropagation, and the Grad-CAM weights α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij."
    let details = """
        Eqs. 2–3 of the tutorial: at the layer that feeds GAP, y^c = Σ_k w_k^c (1/Z) Σ_ij A^k_ij + b^c, so
        ∂y^c/∂A^k_ij = w_k^c / Z at every position and α_k^c = w_k^c / Z: Grad-CAM's weights are CAM's,
        up to the factor 1/Z that the normalization removes. At an earlier layer the gradient varies
        with the position and there is no w to compare with. Values: alpha_vs_cam, gradient_spread, z.
        """
    let topic = CommandTopic.cam

    func run(_ arguments: [String], lab: Lab) throws -> CommandOutput {
        let probe = try LayerProbe(lab: lab)
        try Interruption.check()
        let g = probe.scoreGradient().scalars
        let z = probe.positions
        let alpha = (0..<probe.channelCount).map { k in g[(k * z)..<((k + 1) * z)].reduce(0, +) / Float(z) }
        // How far ∂y^c/∂A^k_ij is from constant over positions, for the largest channel spread.
        let spread = (0..<probe.channelCount).map { k -> Float in
            let slice = g[(k * z)..<((k + 1) * z)]
            return (slice.max() ?? 0) - (slice.min() ?? 0)
        }.max() ?? 0
        var lines = [probe.heading(lab.terminal), "Z = \(z) positions; α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij; the largest |α|:"]
        var values: [String: ResultValue] = ["gradient_spread": .number(Double(spread)), "z": .number(Double(z))]
        let weights = try? probe.classWeights().weights
        lines.append(padded("k", 5) + rightAligned("α_k^c", 12) + (weights == nil ? "" : rightAligned("w_k^c / Z", 12)))
        for k in alpha.indices.sorted(by: { Swift.abs(alpha[$0]) > Swift.abs(alpha[$1]) }).prefix(8) {
            lines.append(padded(String(k), 5) + rightAligned(formatted(alpha[k], decimals: 6), 12)
                         + (weights.map { rightAligned(formatted($0[k] / Float(z), decimals: 6), 12) } ?? ""))
        }
        lines.append("∂y^c/∂A^k_ij varies over positions by at most \(formatted(spread, decimals: 6)) within a channel"
                     + (spread < 1e-6 ? " (constant: the layer feeds GAP)." : " (it depends on where: not a GAP layer)."))
        if let weights {
            let gap = zip(alpha, weights).map { Swift.abs(Double($0) - Double($1) / Double(z)) }.max() ?? 0
            values["alpha_vs_cam"] = .number(gap)
            lines.append("max_k |α_k^c − w_k^c/Z| = \(formatted(gap)): Grad-CAM's weights are CAM's, divided by Z.")
        } else {
            lines.append("This layer does not feed GAP, so there is no w_k^c to compare α_k^c with.")
        }
        return CommandOutput(lines.joined(separator: "\n"), values: values, isResult: true)
    }
}
