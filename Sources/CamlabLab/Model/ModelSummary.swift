import CamlabNN

/// A network's module tree as a person reads it: each module's kind, output shape for an input
/// size, parameter count, and whether it can be explained (and by CAM).
public struct ModelSummary {
    public struct Row {
        public let path: String
        public let depth: Int
        public let kind: String
        /// nil for a module PyTorch calls more than once per forward pass (no single output).
        public let outputShape: [Int]?
        public let parameterCount: Int
        /// How many times the forward pass calls the module.
        public let calls: Int
        /// Global average pooling and the classifier follow it directly.
        public let camApplies: Bool
    }

    public let rows: [Row]
    public let inputShape: [Int]
    public let network: Network

    /// - Throws: `NetworkError.inputDoesNotFit` when the network cannot take `inputShape`.
    public init(network: Network, inputShape: [Int]? = nil) throws {
        let input = inputShape ?? network.architecture.input
        let shapes = try network.outputShapes(forInput: input)
        self.network = network
        self.inputShape = input
        rows = network.root.descendants.filter { !$0.path.isEmpty }.map { module in
            let parameters = module.descendants.compactMap { $0 as? LeafModule }.flatMap(\.parameters)
            let calls = network.program.moduleOutputs[module.path]?.count ?? 0
            return Row(path: module.path, depth: module.path.split(separator: ".").count - 1, kind: module.kindName,
                       outputShape: shapes[module.path], parameterCount: parameters.reduce(0) { $0 + $1.tensor.count },
                       calls: calls, camApplies: calls == 1 && network.globalPoolingClassifier(after: module.path) != nil)
        }
    }

    /// The modules where every method applies: one call, a C×H×W output.
    public var spatialLayers: [String] { rows.filter { $0.outputShape?.count == 3 }.map(\.path) }

    /// The tree as aligned lines, down to `maxDepth` levels (nil: all), optionally only under `prefix`.
    public func lines(terminal: Terminal, maxDepth: Int? = nil, under prefix: String? = nil, marking explained: String? = nil) -> [String] {
        let shown = rows.filter { row in
            (maxDepth.map { row.depth < $0 } ?? true)
                && (prefix.map { row.path == $0 || row.path.hasPrefix($0 + ".") } ?? true)
        }
        let pathWidth = min(34, (shown.map { $0.path.count + 2 * $0.depth }.max() ?? 10) + 2)
        var lines = [terminal.dim(Self.pad("module", pathWidth) + Self.pad("kind", 20) + Self.pad("output", 16) + Self.left("parameters", 12))]
        for row in shown {
            let name = String(repeating: "  ", count: row.depth) + row.path
            let shape = row.outputShape.map { $0.map(String.init).joined(separator: "×") }
                ?? "called \(row.calls)×"
            var notes: [String] = []
            if row.path == explained { notes.append("← explained") }
            if row.camApplies { notes.append("CAM applies") }
            if row.path == network.architecture.targetLayer && row.path != explained { notes.append("default layer") }
            lines.append(Self.pad(name, pathWidth) + Self.pad(row.kind, 20) + Self.pad(shape, 16)
                         + Self.left(Self.grouped(row.parameterCount), 12) + (notes.isEmpty ? "" : "  " + notes.joined(separator: " · ")))
        }
        return lines
    }

    /// The totals: parameters, classes, the default layer and where CAM applies.
    public var totals: String {
        let parameters = network.parameters.reduce(0) { $0 + $1.tensor.count }
        let cam = rows.filter(\.camApplies).map(\.path)
        return "\(Self.grouped(parameters)) parameters · \(network.classes.count) classes · default layer \(network.architecture.targetLayer)"
            + " · CAM applies at " + (cam.isEmpty ? "no layer (no global average pooling before the classifier)" : cam.joined(separator: ", "))
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    static func left(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// 23,520,842.
    static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        return String(digits.enumerated().flatMap { index, digit in
            (index > 0 && (digits.count - index) % 3 == 0) ? [",", digit] : [digit]
        })
    }
}
