import Foundation
import Testing
import CamlabCore
@testable import CamlabNN

/// The layouts of torchvision's (and timm's) ResNets and VGGs, recognized from their keys and
/// shapes alone (`Fixtures/layouts/layouts.json`, made by Tools/pytorch/make_layout_fixture.py from
/// the real constructors): every key has its place, the parameter count is PyTorch's, and the shape
/// walk gives what PyTorch's forward hook on `layer4` (or `features`) saw at 224×224 and 300×300.
struct StateDictLayoutTests {
    struct Layout: @unchecked Sendable, CustomTestStringConvertible {
        let fields: [String: Any]
        var name: String { fields["name"] as! String }
        var testDescription: String { name }
        var shapes: [String: [Int]] {
            Dictionary(uniqueKeysWithValues: (fields["keys"] as! [[Any]]).map { ($0[0] as! String, $0[1] as! [Int]) })
        }
        func expected(_ size: Int) -> (target: [Int], output: [Int]) {
            let entry = (fields["shapes"] as! [String: [String: [Int]]])[String(size)]!
            return (entry["target"]!, entry["output"]!)
        }
    }

    static let layouts: [Layout] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/layouts/layouts.json")
        let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["models"] as! [[String: Any]]).map(Layout.init)
    }()

    @Test(arguments: layouts)
    func recognizesTheLayout(_ layout: Layout) throws {
        let shapes = layout.shapes
        let (architecture, recognized) = try StateDictLayout.architecture(of: shapes)
        let isVGG = layout.name.contains("vgg")
        #expect(recognized.contains(isVGG ? "VGG" : "ResN"), "\(recognized)")
        let own = architecture.tensorShapes
        #expect(Set(own.map(\.name)) == Set(shapes.keys))
        for (name, shape) in own { #expect(shapes[name] == shape, "\(name)") }
        // Zeros are enough for the shape walk; the weights are never needed.
        let network = try Network(architecture: architecture, parameters: Dictionary(uniqueKeysWithValues: own.map {
            ($0.name, Tensor.zeros($0.shape))
        }))
        #expect(network.parameters.reduce(0) { $0 + $1.tensor.count } == layout.fields["parameters"] as! Int)
        let target = isVGG ? "features" : "layer4"
        for size in [224, 300] {
            let walked = try network.outputShapes(forInput: [3, size, size])
            #expect(walked[target] == layout.expected(size).target, "\(target) at \(size)")
            #expect(try network.program.shapes(forInput: [3, size, size])[network.program.output] == layout.expected(size).output)
        }
        #expect(network.adaptsToInputSize)
        if isVGG {
            // Five 2×2 poolings: 16 pixels shrink below one at the last, said before anything runs.
            do {
                _ = try network.outputShapes(forInput: [3, 16, 16])
                Issue.record("a 16×16 input was accepted")
            } catch {
                #expect("\(error)".hasPrefix("An input of 3×16×16 cannot go through this network: 'features."), "\(error)")
                #expect("\(error)".contains("the image is too small for this network"))
            }
        }
        #expect((network.globalPoolingClassifier(after: architecture.targetLayer) != nil) == !isVGG)
        #expect(architecture.classes.count == layout.expected(224).output[0])
        if architecture.classes.count == 1000 {
            #expect(architecture.classes[1] == "goldfish" && architecture.classes[250] == "Siberian husky" && architecture.classes[947] == "mushroom")
        }
    }

    /// A key that does not fit is named in the one sentence.
    @Test func refusesUnknownLayoutsNamingTheKey() throws {
        var shapes = Self.layouts.first { $0.name == "torchvision resnet18" }!.shapes
        shapes["layer2.0.extra.weight"] = [3]
        func refusal(_ shapes: [String: [Int]]) -> String {
            do {
                _ = try StateDictLayout.architecture(of: shapes)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(refusal(shapes).contains("the key 'layer2.0.extra.weight' has no place in the ResNet"), "\(refusal(shapes))")
        shapes["layer2.0.extra.weight"] = nil
        shapes["layer3.1.bn2.weight"] = [128]
        #expect(refusal(shapes).contains("'layer3.1.bn2' should be a BatchNorm2d of 256 features"), "\(refusal(shapes))")
        shapes["layer3.1.bn2.weight"] = [256]
        shapes["layer3.1.bn2.running_var"] = [255]
        #expect(refusal(shapes).contains("'layer3.1.bn2.running_var' has shape [255], but the ResNet its other keys describe needs [256]"), "\(refusal(shapes))")
        #expect(refusal(["encoder.weight": [3, 3]]).contains("its keys (the first is 'encoder.weight') are neither"))
    }
}
