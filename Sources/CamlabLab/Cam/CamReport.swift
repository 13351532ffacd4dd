import Foundation
import CamlabCore
import CamlabImaging
import CamlabMethods
import CamlabNN

/// `camlab cam`: explanations of images, as JSON lines for scripts (the contract of
/// Docs/cam-json.md) or as terminal heatmaps for a person.
public struct CamReport {
    public let explanations: [Explanation]
    public let imagePaths: [String]
    public let pictures: [RGBImage]
    public let notes: [String]

    /// Images of one size are explained in one batch; a network that takes images at their own
    /// size explains each size apart, so no image is resized to another's.
    public init(method: MethodName, network: Network, imagePaths: [String], classSpec: String?,
                preprocessing: Preprocessing = .none, request configure: (inout ExplanationRequest) -> Void = { _ in }) throws {
        let images = try imagePaths.map { ($0, preprocessing.prepared(try ImageFile.readRGB(at: $0))) }
        var groups: [[Int]] = []
        for (index, (_, image)) in images.enumerated() {
            if network.adaptsToInputSize, let group = groups.firstIndex(where: { images[$0[0]].1.width == image.width && images[$0[0]].1.height == image.height }) {
                groups[group].append(index)
            } else if !network.adaptsToInputSize, !groups.isEmpty {
                groups[0].append(index)
            } else {
                groups.append([index])
            }
        }
        var explanations = [Explanation?](repeating: nil, count: images.count)
        var pictures = [RGBImage?](repeating: nil, count: images.count)
        var notes: [String] = []
        for group in groups {
            let part = try CamReport(method: method, network: network, input: try ModelInput(images: group.map { images[$0] }, network: network),
                                     imagePaths: group.map { imagePaths[$0] }, classSpec: classSpec, request: configure)
            for (index, position) in group.enumerated() {
                explanations[position] = part.explanations[index]
                pictures[position] = part.pictures[index]
            }
            notes += part.notes
        }
        self.explanations = explanations.map { $0! }
        self.pictures = pictures.map { $0! }
        self.notes = notes
        self.imagePaths = imagePaths
    }

    /// Images already decoded (the REPL's current image), named by `imagePaths`.
    public init(method: MethodName, network: Network, input: ModelInput, imagePaths: [String], classSpec: String?,
                request configure: (inout ExplanationRequest) -> Void = { _ in }) throws {
        var request = ExplanationRequest(method: method)
        if let classSpec {
            let index = try Self.classIndex(classSpec, classes: network.classes)
            request.classes = Array(repeating: index, count: imagePaths.count)
        }
        configure(&request)
        explanations = try Explainer(network: network).explain(input.batch, request)
        self.imagePaths = imagePaths
        pictures = input.pictures
        notes = input.notes
    }

    /// A class by index (`2`) or by name (`triangle`).
    public static func classIndex(_ spec: String, classes: [String]) throws -> Int {
        if let index = Int(spec), classes.indices.contains(index) { return index }
        if let index = classes.firstIndex(of: spec) { return index }
        // "siberian husky" for "Siberian husky": names differ in case only by accident.
        if let index = classes.firstIndex(where: { $0.lowercased() == spec.lowercased() }) { return index }
        if let index = Int(spec) { throw ExplanationError.classIndexOutOfRange(index, count: classes.count) }
        throw ExplanationError.unknownClass(spec, available: classes)
    }

    /// One JSON object per image, one per line.
    public var jsonLines: [String] {
        zip(imagePaths, explanations).map { path, e in
            var fields: [(String, JSONValue)] = [
                ("image", .string(path)), ("method", .string(e.method.rawValue)),
                ("class", .int(e.classIndex)), ("class_name", .string(e.className)),
            ]
            if !e.layers.isEmpty { fields.append(("layer", .string(e.layers.joined(separator: ",")))) }
            fields.append(("logits", .array(e.logits.map(JSONValue.float))))
            if let raw = e.raw { fields.append(("raw", .nested(raw.scalars, shape: raw.shape))) }
            if let map = e.map {
                fields.append(("map", .nested(map.scalars, shape: map.shape)))
                fields.append(("empty", .bool(e.isEmpty)))
            }
            if let gap = e.globalAveragePool { fields.append(("gap", .array(gap.map(JSONValue.float)))) }
            if let weights = e.classWeights { fields.append(("weights", .array(weights.map(JSONValue.float)))) }
            if let g = e.inputGradient { fields.append(("input_grad", .nested(g.scalars, shape: g.shape))) }
            return JSONValue.object(fields).text
        }
    }

    /// What a person reads: per image a title line, the heatmap over the image, and a legend.
    public func humanReadable(terminal: Terminal, colormap: Colormap = .jet) -> String {
        zip(zip(imagePaths, explanations), pictures).map { item, picture in
            let (path, e) = item
            let probability = e.probabilities[e.classIndex]
            var lines = [terminal.bold("\(e.method.title)") + " · \(path) · class \(e.classIndex) \(e.className) "
                + "(p = \(format(probability)), logit \(format(e.logits[e.classIndex])))"
                + (e.layers.isEmpty ? "" : " · layer \(e.layers.joined(separator: ", "))")]
            lines.append(terminal.dim(e.method.equation))
            let scale = Swift.max(1, Swift.min(4, 64 / Swift.max(picture.width, 1)))
            if let map = e.map {
                if e.isEmpty {
                    lines.append("The map is empty: \(e.method.title) finds no positive evidence for \(e.className) here (every value of the combination is ≤ 0, or it is flat).")
                } else {
                    lines.append(TerminalHeatmap.render(picture.overlaid(with: Heatmap(width: picture.width, height: picture.height, values: map.scalars), colormap: colormap),
                                                        intensity: map.scalars, scale: scale, terminal: terminal))
                    lines.append(TerminalHeatmap.colorScale(colormap: colormap, terminal: terminal))
                    let peak = map.scalars.indices.max { map.scalars[$0] < map.scalars[$1] } ?? 0
                    lines.append("Peak at (x \(peak % picture.width), y \(peak / picture.width)); "
                        + "\(percent(map.scalars.filter { $0 >= 0.5 }.count, of: map.count)) of the image is above half the peak.")
                }
                if let range = e.rawRange { lines.append(Self.rawRangeLine(range)) }
            } else if let gradient = e.inputGradient {
                let shown = GuidedDisplay.image(from: gradient)
                lines.append(TerminalHeatmap.render(shown, intensity: shown.pixels.enumerated().filter { $0.offset % 3 == 0 }
                    .map { Float($0.element) / 255 }, scale: scale, terminal: terminal))
                lines.append(terminal.dim("Gradient with respect to the input, shown as pytorch-grad-cam's deprocess_image does (gray = 0)."))
            }
            return lines.joined(separator: "\n")
        }.joined(separator: "\n\n")
    }

    /// Magnitude beside the normalized map: every map is scaled to [0, 1] on its own.
    public static func rawRangeLine(_ range: ClosedRange<Float>) -> String {
        "Scaled to [0, 1] on its own: the raw map runs from \(String(format: "%.3g", Double(range.lowerBound))) to "
            + "\(String(format: "%.3g", Double(range.upperBound))), and 1 stands for \(String(format: "%.3g", Double(Swift.max(range.upperBound, 0))))."
    }

    private func format(_ x: Float) -> String { String(format: "%.3f", Double(x)) }
    private func percent(_ part: Int, of whole: Int) -> String { String(format: "%.0f%%", 100 * Double(part) / Double(Swift.max(whole, 1))) }
}

/// Input-space gradients as pictures, normalized as pytorch-grad-cam's `deprocess_image` does:
/// x − mean, ÷ (std + 1e-5), × 0.1, + 0.5, clipped to [0, 1].
public enum GuidedDisplay {
    public static func image(from gradient: Tensor) -> RGBImage {
        let (channels, height, width) = (gradient.shape[0], gradient.shape[1], gradient.shape[2])
        let values = gradient.scalars
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        let std = variance.squareRoot()
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<(width * height) {
            for c in 0..<3 {
                let v = values[Swift.min(c, channels - 1) * width * height + p]
                let shown = Swift.min(Swift.max((v - mean) / (std + 1e-5) * 0.1 + 0.5, 0), 1)
                pixels[3 * p + c] = UInt8(255 * shown)
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}
