import CamlabCore
import CamlabNN

/// Adebayo et al., "Sanity checks for saliency maps" (2018), cascading model randomization: the
/// layers' weights are replaced by fresh random ones from the top layer down, one more layer at a
/// time, and each method's map is compared with the trained model's. A method whose map survives
/// the randomization explains the image, not what the model learned.
public struct SanityCheck {
    /// One step of the cascade: the parameterized modules randomized so far (top first), and per
    /// method the similarity of its map to the trained model's.
    public struct Stage {
        public let randomized: [String]
        public let rankCorrelation: [MethodName: Double]
        public let structuralSimilarity: [MethodName: Double]
        /// Methods whose map on the randomized model is empty (all zero): nothing to correlate.
        public let empty: Set<MethodName>
    }

    /// The methods checked unless others are asked for: two gradient CAMs, one class-agnostic
    /// map and the two guided methods the paper tested.
    public static let defaultMethods: [MethodName] = [.gradcam, .gradcampp, .eigencam, .guided, .guidedGradcam]

    public let methods: [MethodName]
    public let classIndex: Int
    public let stages: [Stage]
    /// The data randomization test: the maps of a model trained on permuted labels, against the
    /// trained model's (nil when no such model was given).
    public let labelRandomization: Stage?

    /// `input` is one normalized image [1, C, H, W]; the class is `classIndex`, else the trained
    /// model's prediction, kept for every randomized model (the question is what the map shows for
    /// that class, not what a random network predicts).
    public init(network: Network, input: Tensor, methods: [MethodName], classIndex: Int? = nil, layer: String? = nil,
                seed: UInt64 = 1, randomLabels: Network? = nil, shouldStop: () -> Bool = { false }) throws {
        let c = classIndex ?? withoutGradient { network(input) }.argmaxAlongLastAxis()[0]
        self.methods = methods
        self.classIndex = c
        func maps(_ net: Network) throws -> [MethodName: [Float]] {
            var result: [MethodName: [Float]] = [:]
            for method in methods {
                var request = ExplanationRequest(method: method, classes: [c])
                request.layers = layer.map { [$0] }
                let explanation = try Explainer(network: net).explain(input, request)[0]
                result[method] = explanation.map?.scalars ?? explanation.gradientMagnitude ?? []
            }
            return result
        }
        let trained = try maps(network)
        let fresh = Dictionary(uniqueKeysWithValues: try Network(architecture: network.architecture, seed: seed).stateDict.map { ($0.name, $0.tensor) })
        let original = Dictionary(uniqueKeysWithValues: network.stateDict.map { ($0.name, $0.tensor) })
        // Modules with parameters, from the output back to the input.
        let layers = network.leaves.filter { !$0.parameters.isEmpty }.map(\.path).reversed()
        func stage(_ randomized: [String], _ other: Network) throws -> Stage {
            if shouldStop() { throw Stopped() }
            let scrambled = try maps(other)
            var rank: [MethodName: Double] = [:], ssim: [MethodName: Double] = [:]
            let empty = Set(methods.filter { method in scrambled[method]!.allSatisfy { $0 == scrambled[method]![0] } })
            for method in methods {
                rank[method] = Self.rankCorrelation(trained[method]!, scrambled[method]!)
                ssim[method] = Self.structuralSimilarity(Self.scaled(trained[method]!), Self.scaled(scrambled[method]!), width: input.shape[3])
            }
            return Stage(randomized: randomized, rankCorrelation: rank, structuralSimilarity: ssim, empty: empty)
        }
        var randomized: [String] = [], stages: [Stage] = []
        for path in layers {
            randomized.append(path)
            var parameters = original
            for (name, tensor) in fresh where randomized.contains(where: { name.hasPrefix($0 + ".") }) { parameters[name] = tensor }
            stages.append(try stage(randomized, Network(architecture: network.architecture, parameters: parameters)))
        }
        self.stages = stages
        labelRandomization = try randomLabels.map { try stage(["labels"], $0) }
    }

    /// Thrown when `shouldStop` asks to stop (Ctrl-C).
    public struct Stopped: Error {}

    /// Spearman's rank correlation (ties share their mean rank); 0 when either side is constant.
    public static func rankCorrelation(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "rankCorrelation: different sizes")
        let (ra, rb) = (ranks(a), ranks(b))
        let n = Double(a.count)
        let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
        var covariance = 0.0, va = 0.0, vb = 0.0
        for i in a.indices {
            covariance += (ra[i] - ma) * (rb[i] - mb)
            va += (ra[i] - ma) * (ra[i] - ma)
            vb += (rb[i] - mb) * (rb[i] - mb)
        }
        return va > 0 && vb > 0 ? covariance / (va * vb).squareRoot() : 0
    }

    static func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            for k in start...end { ranks[order[k]] = Double(start + end) / 2 }
            start = end + 1
        }
        return ranks
    }

    /// Mean SSIM (Wang et al., 2004) over 7×7 windows of two maps in [0, 1], as scikit-image's
    /// default that Adebayo et al. used: uniform windows, C1 = 0.01², C2 = 0.03².
    public static func structuralSimilarity(_ a: [Float], _ b: [Float], width: Int, window: Int = 7) -> Double {
        let height = a.count / width
        guard height >= window, width >= window else { return 0 }
        let (c1, c2) = (0.0001, 0.0009)
        let count = Double(window * window)
        var total = 0.0, windows = 0
        for y in 0...(height - window) {
            for x in 0...(width - window) {
                var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0
                for dy in 0..<window {
                    for dx in 0..<window {
                        let (u, v) = (Double(a[(y + dy) * width + x + dx]), Double(b[(y + dy) * width + x + dx]))
                        sa += u; sb += v; saa += u * u; sbb += v * v; sab += u * v
                    }
                }
                let (ma, mb) = (sa / count, sb / count)
                // Sample (co)variances, as scikit-image with use_sample_covariance.
                let va = (saa - count * ma * ma) / (count - 1), vb = (sbb - count * mb * mb) / (count - 1)
                let cov = (sab - count * ma * mb) / (count - 1)
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                windows += 1
            }
        }
        return total / Double(windows)
    }

    /// Min–max scaled to [0, 1] (all zero when flat), so SSIM's constants mean the same for every method.
    static func scaled(_ values: [Float]) -> [Float] {
        guard let low = values.min(), let high = values.max(), high > low else { return values.map { _ in 0 } }
        return values.map { ($0 - low) / (high - low) }
    }
}
