/// Recognizes the networks people have from a plain PyTorch state dict
/// (`save_file(model.state_dict(), …)`): torchvision's (and timm's) ResNets and torchvision's VGGs.
///
/// Depth, stages, blocks per stage, widths and groups are read from the tensors' names and shapes,
/// so any `torchvision.models.ResNet` or `VGG` built with other sizes opens too. What the tensors
/// cannot say is taken from torchvision's code: strides (2 at the first block of every stage but
/// the first, on the 3×3 convolution), the 7×7/2 stem and its 3×3/2 max pooling (a stem of another
/// kernel size is taken as a CIFAR-style stride-1 stem without pooling), VGG's 3×3 padded
/// convolutions and the max pooling that ends each stage.
public enum StateDictLayout {
    /// The architecture of a state dict, with the defaults for a torchvision model: ImageNet's
    /// mean, std and (for 1000 outputs) class names unless the file's metadata gives its own
    /// (`classes`, `mean`, `std` as JSON lists, as `Tools/pytorch/export_torchvision.py` writes).
    ///
    /// - Returns: the architecture and a phrase saying what it was recognized as.
    /// - Throws: `ModelFileError.unrecognizedStateDict` naming the first key that did not fit.
    public static func architecture(of tensors: [String: [Int]], metadata: [String: String] = [:]) throws
        -> (architecture: Architecture, recognizedAs: String) {
        let (root, target, name): (ModuleSpec, String, String)
        if tensors["conv1.weight"] != nil && tensors["fc.weight"] != nil {
            (root, target, name) = try resNet(tensors)
        } else if tensors["classifier.0.weight"] != nil && tensors.keys.contains(where: { $0.hasPrefix("features.") }) {
            (root, target, name) = try vgg(tensors)
        } else {
            let first = tensors.keys.sorted().first ?? "(none)"
            throw unrecognized("its keys (the first is '\(first)') are neither a torchvision ResNet's (conv1, layer1…, fc) nor a VGG's (features, classifier)")
        }
        let outputs = root.flattened(prefix: "").last { if case .linear = $0.spec.kind { true } else { false } }
        guard case let .linear(_, classCount, _)? = outputs?.spec.kind else { throw unrecognized("it has no final linear layer") }
        let classes = try metadataList(metadata, "classes", as: String.self)
            ?? (classCount == ImageNet.classes.count ? ImageNet.classes : (0..<classCount).map(String.init))
        guard classes.count == classCount else {
            throw unrecognized("its metadata names \(classes.count) classes but the classifier has \(classCount) outputs")
        }
        let mean = try metadataList(metadata, "mean", as: Double.self) ?? ImageNet.mean
        let std = try metadataList(metadata, "std", as: Double.self) ?? ImageNet.std
        let architecture = Architecture(input: [3, 224, 224], mean: mean, std: std, classes: classes, root: root, targetLayer: target)
        try checkKeys(tensors, against: architecture)
        return (architecture, name)
    }

    // MARK: - ResNet

    private static func resNet(_ t: [String: [Int]]) throws -> (ModuleSpec, String, String) {
        let stem = try shape(t, "conv1.weight", rank: 4)
        let width = stem[0]
        var children = [ModuleSpec("conv1", .conv2d(Conv2dSpec(in: stem[1], out: width, kernel: [stem[2], stem[3]],
                                                               stride: stem[2] == 7 ? 2 : 1, padding: stem[2] / 2,
                                                               bias: t["conv1.bias"] != nil))),
                        try batchNorm(t, "bn1", width), ModuleSpec("relu", .relu)]
        if stem[2] == 7 { children.append(ModuleSpec("maxpool", .maxPool2d(PoolSpec(kernel: 3, stride: 2, padding: 1)))) }
        let isBottleneck = t["layer1.0.conv3.weight"] != nil
        var channels = width
        var stage = 1
        var blockCounts: [Int] = []
        while t["layer\(stage).0.conv1.weight"] != nil {
            var blocks: [ModuleSpec] = []
            var index = 0
            while t["layer\(stage).\(index).conv1.weight"] != nil {
                let prefix = "layer\(stage).\(index)"
                let stride = (stage > 1 && index == 0 && t[prefix + ".downsample.0.weight"] != nil) ? 2 : 1
                let block = try isBottleneck ? bottleneck(t, prefix, in: channels, stride: stride)
                                             : basicBlock(t, prefix, in: channels, stride: stride)
                blocks.append(block.spec)
                channels = block.out
                index += 1
            }
            blockCounts.append(index)
            children.append(ModuleSpec("layer\(stage)", .sequential, children: blocks))
            stage += 1
        }
        guard stage > 1 else { throw unrecognized("it has conv1 and fc but no layer1.0.conv1.weight") }
        let fc = try shape(t, "fc.weight", rank: 2)
        guard fc[1] == channels else {
            throw unrecognized("fc.weight takes \(fc[1]) features but the last stage gives \(channels)")
        }
        children += [ModuleSpec("avgpool", .adaptiveAvgPool2d(height: 1, width: 1)),
                     ModuleSpec("fc", .linear(in: fc[1], out: fc[0], bias: t["fc.bias"] != nil))]
        let depth = blockCounts.reduce(0, +) * (isBottleneck ? 3 : 2) + 2
        let groups: Int = {
            guard isBottleneck, let conv2 = t["layer1.0.conv2.weight"] else { return 1 }
            return max(1, conv2[0] / max(conv2[1], 1))
        }()
        let kind = groups > 1 ? "ResNeXt" : "ResNet"
        let name = "a torchvision \(kind)-\(depth) (\(isBottleneck ? "Bottleneck" : "BasicBlock") blocks \(blockCounts.map(String.init).joined(separator: ", "))\(groups > 1 ? ", \(groups) groups" : ""), widths from \(width))"
        return (ModuleSpec("", .resNet, children: children), "layer\(stage - 1)", name)
    }

    private static func basicBlock(_ t: [String: [Int]], _ p: String, in channels: Int, stride: Int) throws -> (spec: ModuleSpec, out: Int) {
        let c1 = try shape(t, p + ".conv1.weight", rank: 4), c2 = try shape(t, p + ".conv2.weight", rank: 4)
        guard c1[1] == channels, c2[1] == c1[0] else { throw unrecognized("\(p).conv1.weight has shape \(list(c1)) after \(channels) channels") }
        var children = [conv(p, "conv1", c1, stride: stride), try batchNorm(t, p + ".bn1", c1[0], name: "bn1"), ModuleSpec("relu", .relu),
                        conv(p, "conv2", c2, stride: 1), try batchNorm(t, p + ".bn2", c2[0], name: "bn2")]
        try children += downsample(t, p, in: channels, out: c2[0], stride: stride)
        return (ModuleSpec(String(p.split(separator: ".").last!), .basicBlock, children: children), c2[0])
    }

    private static func bottleneck(_ t: [String: [Int]], _ p: String, in channels: Int, stride: Int) throws -> (spec: ModuleSpec, out: Int) {
        let c1 = try shape(t, p + ".conv1.weight", rank: 4), c2 = try shape(t, p + ".conv2.weight", rank: 4)
        let c3 = try shape(t, p + ".conv3.weight", rank: 4)
        guard c1[1] == channels else { throw unrecognized("\(p).conv1.weight has shape \(list(c1)) after \(channels) channels") }
        guard c2[1] > 0, c1[0] % c2[1] == 0, c3[1] == c2[0] else { throw unrecognized("\(p).conv2.weight has shape \(list(c2)) after \(c1[0]) channels") }
        let groups = c1[0] / c2[1]
        var children = [conv(p, "conv1", c1, stride: 1), try batchNorm(t, p + ".bn1", c1[0], name: "bn1"),
                        conv(p, "conv2", c2, stride: stride, groups: groups), try batchNorm(t, p + ".bn2", c2[0], name: "bn2"),
                        conv(p, "conv3", c3, stride: 1), try batchNorm(t, p + ".bn3", c3[0], name: "bn3"), ModuleSpec("relu", .relu)]
        try children += downsample(t, p, in: channels, out: c3[0], stride: stride)
        return (ModuleSpec(String(p.split(separator: ".").last!), .bottleneck, children: children), c3[0])
    }

    private static func downsample(_ t: [String: [Int]], _ p: String, in channels: Int, out: Int, stride: Int) throws -> [ModuleSpec] {
        guard let d = t[p + ".downsample.0.weight"] else {
            guard channels == out, stride == 1 else {
                throw unrecognized("\(p) changes \(channels) channels to \(out) but has no downsample.0.weight")
            }
            return []
        }
        guard d.count == 4, d[2] == 1, d[3] == 1, d[1] == channels, d[0] == out else {
            throw unrecognized("\(p).downsample.0.weight has shape \(list(d)), not a 1×1 convolution from \(channels) to \(out) channels (timm's average-pool downsampling is not supported)")
        }
        return [ModuleSpec("downsample", .sequential, children: [conv(p + ".downsample", "0", d, stride: stride),
                                                                  try batchNorm(t, p + ".downsample.1", out, name: "1")])]
    }

    // MARK: - VGG

    private static func vgg(_ t: [String: [Int]]) throws -> (ModuleSpec, String, String) {
        let indices = Set(t.keys.compactMap { key -> Int? in
            let parts = key.split(separator: ".")
            return parts.count == 3 && parts[0] == "features" ? Int(parts[1]) : nil
        }).sorted()
        var features: [ModuleSpec] = []
        var channels = 3
        var position = 0
        var lastReLU = ""
        var convolutions = 0, hasBatchNorm = false
        func append(_ kind: ModuleSpec.Kind) {
            features.append(ModuleSpec(String(position), kind))
            position += 1
        }
        for index in indices {
            guard let weight = t["features.\(index).weight"], weight.count == 4 else { continue }  // a BN's weight is rank 1
            if index == position + 1, position > 0 { append(.maxPool2d(PoolSpec(kernel: 2, stride: 2))) }
            guard index == position else {
                throw unrecognized("features.\(index).weight is not where a VGG's next convolution would be (features.\(position))")
            }
            guard weight[1] == channels, weight[2] == 3, weight[3] == 3 else {
                throw unrecognized("features.\(index).weight has shape \(list(weight)), not a 3×3 convolution from \(channels) channels")
            }
            append(.conv2d(Conv2dSpec(in: channels, out: weight[0], kernel: [3, 3], padding: 1, bias: t["features.\(index).bias"] != nil)))
            channels = weight[0]
            convolutions += 1
            if t["features.\(position).running_mean"] != nil {
                features.append(try batchNorm(t, "features.\(position)", channels, name: String(position)))
                position += 1
                hasBatchNorm = true
            }
            lastReLU = "features.\(position)"
            append(.relu)
        }
        guard convolutions > 0 else { throw unrecognized("features has no convolution") }
        append(.maxPool2d(PoolSpec(kernel: 2, stride: 2)))
        let first = try shape(t, "classifier.0.weight", rank: 2)
        let side = Int(Double(first[1] / channels).squareRoot().rounded())
        guard side * side * channels == first[1] else {
            throw unrecognized("classifier.0.weight takes \(first[1]) features, not \(channels)·s² for a square average pool")
        }
        var classifier: [ModuleSpec] = []
        var index = 0
        var features_ = first[1]
        while let weight = t["classifier.\(index).weight"] {
            guard weight.count == 2, weight[1] == features_ else {
                throw unrecognized("classifier.\(index).weight has shape \(list(weight)) after \(features_) features")
            }
            classifier.append(ModuleSpec(String(index), .linear(in: weight[1], out: weight[0], bias: t["classifier.\(index).bias"] != nil)))
            features_ = weight[0]
            if t["classifier.\(index + 3).weight"] != nil {
                classifier += [ModuleSpec(String(index + 1), .relu), ModuleSpec(String(index + 2), .dropout(probability: 0.5))]
                index += 3
            } else {
                break
            }
        }
        let root = ModuleSpec("", .vgg, children: [
            ModuleSpec("features", .sequential, children: features),
            ModuleSpec("avgpool", .adaptiveAvgPool2d(height: side, width: side)),
            ModuleSpec("classifier", .sequential, children: classifier),
        ])
        return (root, lastReLU, "a torchvision VGG-\(convolutions + classifier.filter { if case .linear = $0.kind { true } else { false } }.count)\(hasBatchNorm ? " with BatchNorm" : "")")
    }

    // MARK: - Pieces

    private static func conv(_ prefix: String, _ name: String, _ w: [Int], stride: Int, groups: Int = 1) -> ModuleSpec {
        ModuleSpec(name, .conv2d(Conv2dSpec(in: w[1] * groups, out: w[0], kernel: [w[2], w[3]], stride: stride,
                                            padding: w[2] / 2, groups: groups, bias: false)))
    }

    private static func batchNorm(_ t: [String: [Int]], _ path: String, _ features: Int, name: String? = nil) throws -> ModuleSpec {
        guard t[path + ".running_mean"] != nil, let weight = t[path + ".weight"], weight == [features] else {
            throw unrecognized("'\(path)' should be a BatchNorm2d of \(features) features (\(path).weight and \(path).running_mean)")
        }
        return ModuleSpec(name ?? String(path.split(separator: ".").last!), .batchNorm2d(features: features, epsilon: 1e-5, momentum: 0.1))
    }

    private static func shape(_ t: [String: [Int]], _ key: String, rank: Int) throws -> [Int] {
        guard let shape = t[key] else { throw unrecognized("it has no '\(key)'") }
        guard shape.count == rank, shape.allSatisfy({ $0 >= 1 }) else { throw unrecognized("'\(key)' has shape \(list(shape)), not a rank-\(rank) tensor") }
        return shape
    }

    /// The file's keys must be exactly the architecture's (`num_batches_tracked` may be absent:
    /// torchvision's oldest checkpoints have none).
    private static func checkKeys(_ tensors: [String: [Int]], against architecture: Architecture) throws {
        let expected = architecture.tensorShapes
        let expectedNames = Set(expected.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !expectedNames.contains($0) }) {
            throw unrecognized("the key '\(extra)' has no place in \(describe(architecture))")
        }
        for (name, shape) in expected {
            guard let actual = tensors[name] else {
                if name.hasSuffix(".num_batches_tracked") { continue }
                throw unrecognized("the key '\(name)' is missing for \(describe(architecture))")
            }
            guard actual == shape else {
                throw unrecognized("'\(name)' has shape \(list(actual)), but \(describe(architecture)) needs \(list(shape))")
            }
        }
    }

    private static func describe(_ architecture: Architecture) -> String {
        architecture.root.kind == .vgg ? "the VGG its other keys describe" : "the ResNet its other keys describe"
    }

    private static func metadataList<T>(_ metadata: [String: String], _ key: String, as: T.Type) throws -> [T]? {
        guard let text = metadata[key] else { return nil }
        guard let document = try? ModelFileJSON.parse(text), case let .array(elements) = document else {
            throw unrecognized("its metadata \"\(key)\" is not a JSON list")
        }
        let values: [T] = elements.compactMap { element in
            if T.self == String.self, case let .string(text) = element { return text as? T }
            if T.self == Double.self { return element.doubleValue as? T }
            return nil
        }
        guard values.count == elements.count else { throw unrecognized("its metadata \"\(key)\" holds values of the wrong kind") }
        return values
    }

    private static func list(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    private static func unrecognized(_ reason: String) -> ModelFileError {
        ModelFileError(.unrecognizedStateDict(reason: reason))
    }
}
