import CamlabCore

/// `nn.Sequential`: the children, one after another.
public final class Sequential: Module {
    public let path: String
    public let children: [Module]
    public var kindName: String { "Sequential" }
    init(path: String, children: [Module]) { (self.path, self.children) = (path, children) }
    public func forward(_ x: Traced) -> Traced { children.reduce(x) { value, child in child(value) } }
}

/// torchvision's `BasicBlock`: two 3×3 convolutions and the skip connection.
public final class BasicBlock: Module {
    public let path: String
    let conv1: Module, bn1: Module, relu: Module, conv2: Module, bn2: Module
    let downsample: Module?
    public var children: [Module] { [conv1, bn1, relu, conv2, bn2] + (downsample.map { [$0] } ?? []) }
    public var kindName: String { "BasicBlock" }

    init(path: String, _ c: [String: Module]) {
        self.path = path
        (conv1, bn1, relu, conv2, bn2, downsample) = (c["conv1"]!, c["bn1"]!, c["relu"]!, c["conv2"]!, c["bn2"]!, c["downsample"])
    }

    public func forward(_ x: Traced) -> Traced {
        var identity = x
        var out = conv1(x)
        out = bn1(out)
        out = relu(out)
        out = conv2(out)
        out = bn2(out)
        if let downsample { identity = downsample(x) }
        out = out + identity
        return relu(out)
    }
}

/// torchvision's `Bottleneck`: 1×1 down, 3×3 (strided, grouped), 1×1 up, and the skip connection.
public final class Bottleneck: Module {
    public let path: String
    let conv1: Module, bn1: Module, conv2: Module, bn2: Module, conv3: Module, bn3: Module, relu: Module
    let downsample: Module?
    public var children: [Module] { [conv1, bn1, conv2, bn2, conv3, bn3, relu] + (downsample.map { [$0] } ?? []) }
    public var kindName: String { "Bottleneck" }

    init(path: String, _ c: [String: Module]) {
        self.path = path
        (conv1, bn1, conv2, bn2, conv3, bn3) = (c["conv1"]!, c["bn1"]!, c["conv2"]!, c["bn2"]!, c["conv3"]!, c["bn3"]!)
        (relu, downsample) = (c["relu"]!, c["downsample"])
    }

    public func forward(_ x: Traced) -> Traced {
        var identity = x
        var out = conv1(x)
        out = bn1(out)
        out = relu(out)
        out = conv2(out)
        out = bn2(out)
        out = relu(out)
        out = conv3(out)
        out = bn3(out)
        if let downsample { identity = downsample(x) }
        out = out + identity
        return relu(out)
    }
}

/// A network whose forward pass runs its children in order but flattens before the first
/// linear layer, as torchvision's `ResNet` (`torch.flatten(x, 1)` before `fc`) and `VGG`
/// (before `classifier`) do.
public final class FlatteningSequence: Module {
    public let path: String
    public let children: [Module]
    /// The class PyTorch calls it (`ResNet`, `VGG`).
    public let kindName: String
    /// Where the flatten happens: before child `flattenBefore`.
    let flattenBefore: Int

    init(path: String, kindName: String, children: [Module], flattenBefore: Int) {
        (self.path, self.kindName, self.children, self.flattenBefore) = (path, kindName, children, flattenBefore)
    }

    public func forward(_ x: Traced) -> Traced {
        var out = x
        for (index, child) in children.enumerated() {
            if index == flattenBefore { out = out.flattened() }
            out = child(out)
        }
        return out
    }
}
