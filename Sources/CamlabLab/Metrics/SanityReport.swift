import CamlabMethods

/// `sanity` as a person reads it: one row per step of the cascade, one column per method.
extension SanityCheck {
    public func humanReadable(terminal: Terminal, className: String) -> String {
        let names = methods.map(\.rawValue)
        let width = Swift.max(14, (names.map(\.count).max() ?? 0) + 2)
        var lines = [terminal.bold("Sanity check (Adebayo et al., 2018): cascading randomization, class \(className)"),
                     "Each row re-initializes one more layer, from the top, with fresh random weights; each cell is the",
                     "rank correlation (and SSIM) between the method's map then and on the trained model. Near 1: the map",
                     "hardly depends on what those layers learned.",
                     "randomized".padding(toLength: 26, withPad: " ", startingAt: 0) + names.map { $0.padding(toLength: width, withPad: " ", startingAt: 0) }.joined()]
        for stage in stages + (labelRandomization.map { [$0] } ?? []) {
            let label = stage.randomized == ["labels"] ? "trained on random labels"
                : (stage.randomized.count == 1 ? stage.randomized[0] : "+ " + stage.randomized.last!)
            let cells = methods.map { method in
                (stage.empty.contains(method) ? "  empty map"
                    : String(format: "%5.2f (%4.2f)", stage.rankCorrelation[method] ?? 0, stage.structuralSimilarity[method] ?? 0))
                    .padding(toLength: width, withPad: " ", startingAt: 0)
            }
            lines.append(label.padding(toLength: 26, withPad: " ", startingAt: 0) + cells.joined())
        }
        lines.append(terminal.dim("The last cascade row is a network with no trained weights left; a faithful explanation should have changed."
            + " An empty map counts as rank correlation 0."))
        return lines.joined(separator: "\n")
    }

    /// Per method M (dashes dropped): M_rank and M_ssim with every layer randomized, M_rank_top and
    /// M_ssim_top with only the top layer randomized, M_rank_labels and M_ssim_labels against the
    /// model trained on random labels.
    public var values: [String: Double] {
        var values: [String: Double] = [:]
        guard let top = stages.first, let all = stages.last else { return values }
        for method in methods {
            let key = method.rawValue.replacingOccurrences(of: "-", with: "")
            values["\(key)_rank"] = all.rankCorrelation[method]
            values["\(key)_ssim"] = all.structuralSimilarity[method]
            values["\(key)_rank_top"] = top.rankCorrelation[method]
            values["\(key)_ssim_top"] = top.structuralSimilarity[method]
            values["\(key)_rank_labels"] = labelRandomization?.rankCorrelation[method]
            values["\(key)_ssim_labels"] = labelRandomization?.structuralSimilarity[method]
        }
        return values
    }
}
