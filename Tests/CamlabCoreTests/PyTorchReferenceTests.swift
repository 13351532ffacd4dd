import Foundation
import Testing
import CamlabCore

/// Operation values and gradients computed by PyTorch (Tools/pytorch/make_op_reference.py wrote
/// Fixtures/op_reference.json); inputs come from a closed formula, so no data file is needed.
struct PyTorchReferenceTests {
    struct Case: @unchecked Sendable, CustomTestStringConvertible {
        let fields: [String: Any]
        var name: String { fields["name"] as! String }
        var testDescription: String { name }

        /// input[i] = sin(a·i + b) · scale (+ offset, when the case gives one), rounded to Float.
        func input(_ role: String) -> Tensor {
            let spec = (fields["inputs"] as! [String: Any])[role] as! [String: Any]
            let shape = spec["shape"] as! [Int]
            let (a, b, scale) = (spec["a"] as! Double, spec["b"] as! Double, spec["scale"] as! Double)
            let offset = spec["offset"] as? Double
            let values = (0..<shape.reduce(1, *)).map { i in
                let value = Foundation.sin(a * Double(i) + b) * scale
                return Float(offset.map { value + $0 } ?? value)
            }
            return Tensor(shape: shape, scalars: values, requiresGradient: true)
        }

        var labels: [Int] { ((fields["labels"] as? [String: Any])?["values"] as? [Int]) ?? [] }

        func expected(_ key: String) -> (shape: [Int], values: [Double]) {
            let result = ((fields["results"] as! [String: Any])["float32"] as! [String: Any])[key] as! [String: Any]
            return (result["shape"] as! [Int], (result["values"] as! [NSNumber]).map(\.doubleValue))
        }
    }

    static let cases: [Case] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/op_reference.json")
        let root = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return (root["cases"] as! [[String: Any]]).map(Case.init)
    }()

    /// What camlab computes for each case, by result key.
    func compute(_ c: Case) -> [String: Tensor] {
        func weighted(_ y: Tensor, _ inputs: [Tensor], _ names: [String]) -> [String: Tensor] {
            let g = c.input("g").detached()
            let grads = gradients(of: (y * g).sum(), withRespectTo: inputs)
            var result = ["y": y]
            for (name, grad) in zip(names, grads) { result[name] = grad }
            return result
        }
        let x = c.input("x")
        switch c.name {
        case "conv2d":
            let (w, b) = (c.input("weight"), c.input("bias"))
            return weighted(x.conv2d(weight: w, bias: b, stride: 2, padding: 1), [x, w, b], ["grad_x", "grad_weight", "grad_bias"])
        case "max_pool2d_k2_s2": return weighted(x.maxPool2d(kernel: 2, stride: 2), [x], ["grad_x"])
        case "max_pool2d_k3_s2": return weighted(x.maxPool2d(kernel: 3, stride: 2), [x], ["grad_x"])
        case "avg_pool2d_k2": return weighted(x.avgPool2d(kernel: 2), [x], ["grad_x"])
        case "global_avg_pool": return weighted(x.globalAveragePooled().reshaped(to: [2, 3, 1, 1]), [x], ["grad_x"])
        case "matmul_broadcast":
            let other = c.input("other")
            return weighted(x.matmul(other), [x, other], ["grad_x", "grad_other"])
        case "softmax_last_axis": return weighted(x.softmax(alongAxis: -1), [x], ["grad_x"])
        case "log_softmax_last_axis": return weighted(x.logSoftmax(alongAxis: -1), [x], ["grad_x"])
        case "cross_entropy":
            let loss = x.crossEntropy(labels: c.labels)
            return ["loss": loss, "grad_x": gradient(of: loss, withRespectTo: x)]
        case "bilinear_up_align_false": return weighted(x.resizedBilinear(height: 9, width: 11), [x], ["grad_x"])
        case "bilinear_up_align_true": return weighted(x.resizedBilinear(height: 9, width: 11, convention: .alignCorners), [x], ["grad_x"])
        case "bilinear_down_align_false": return weighted(x.resizedBilinear(height: 3, width: 5), [x], ["grad_x"])
        case "bilinear_down_align_true": return weighted(x.resizedBilinear(height: 3, width: 5, convention: .alignCorners), [x], ["grad_x"])
        case "second_derivative_conv_softmax":
            let (w, b, g, v) = (c.input("weight"), c.input("bias"), c.input("g").detached(), c.input("v").detached())
            let f = (g * x.conv2d(weight: w, bias: b, padding: 1).softmax(alongAxis: -1)).sum()
            let gradX = gradient(of: f, withRespectTo: x, createGraph: true)
            let second = gradients(of: (v * gradX).sum(), withRespectTo: [x, w])
            return ["f": f, "grad_x": gradX, "hvp_x": second[0], "grad_weight_of_v_dot_grad_x": second[1]]
        case "second_derivative_cross_entropy_matmul":
            let (other, v) = (c.input("other"), c.input("v").detached())
            let f = x.matmul(other).crossEntropy(labels: c.labels)
            let gradX = gradient(of: f, withRespectTo: x, createGraph: true)
            let second = gradients(of: (v * gradX).sum(), withRespectTo: [x, other])
            return ["f": f, "grad_x": gradX, "hvp_x": second[0], "grad_other_of_v_dot_grad_x": second[1]]
        case "conv2d_groups2":
            let (w, b) = (c.input("weight"), c.input("bias"))
            return weighted(x.conv2d(weight: w, bias: b, padding: 1, groups: 2), [x, w, b], ["grad_x", "grad_weight", "grad_bias"])
        case "conv2d_depthwise_stride2":
            let (w, b) = (c.input("weight"), c.input("bias"))
            return weighted(x.conv2d(weight: w, bias: b, stride: 2, padding: 1, groups: 4), [x, w, b],
                            ["grad_x", "grad_weight", "grad_bias"])
        case "conv2d_dilation2":
            let (w, b) = (c.input("weight"), c.input("bias"))
            return weighted(x.conv2d(weight: w, bias: b, padding: 2, dilation: 2), [x, w, b], ["grad_x", "grad_weight", "grad_bias"])
        case "conv2d_dilation2_stride2_groups2":
            let w = c.input("weight")
            return weighted(x.conv2d(weight: w, stride: 2, padding: 1, dilation: 2, groups: 2), [x, w], ["grad_x", "grad_weight"])
        case "conv2d_resnext_groups32_stride2":
            let w = c.input("weight")
            return weighted(x.conv2d(weight: w, stride: 2, padding: 1, groups: 32), [x, w], ["grad_x", "grad_weight"])
        case "conv2d_1x1_stride2":
            let w = c.input("weight")
            return weighted(x.conv2d(weight: w, stride: 2), [x, w], ["grad_x", "grad_weight"])
        case "conv2d_stem_7x7_stride2":
            let w = c.input("weight")
            return weighted(x.conv2d(weight: w, stride: 2, padding: 3), [x, w], ["grad_x", "grad_weight"])
        case "max_pool2d_k3_s2_p1": return weighted(x.maxPool2d(kernel: 3, stride: 2, padding: 1), [x], ["grad_x"])
        case "max_pool2d_k3_s2_ceil": return weighted(x.maxPool2d(kernel: 3, stride: 2, ceilMode: true), [x], ["grad_x"])
        case "max_pool2d_k2_s2_p1_ceil":
            return weighted(x.maxPool2d(kernel: 2, stride: 2, padding: 1, ceilMode: true), [x], ["grad_x"])
        case "max_pool2d_k3_s1_p1_d2":
            return weighted(x.maxPool2d(kernel: 3, stride: 1, padding: 1, dilation: 2), [x], ["grad_x"])
        case "max_pool2d_k2_s2_d2_ceil":
            return weighted(x.maxPool2d(kernel: 2, stride: 2, dilation: 2, ceilMode: true), [x], ["grad_x"])
        case "avg_pool2d_k3_s2_p1": return weighted(x.avgPool2d(kernel: 3, stride: 2, padding: 1), [x], ["grad_x"])
        case "avg_pool2d_k3_s2_p1_exclude_pad":
            return weighted(x.avgPool2d(kernel: 3, stride: 2, padding: 1, countIncludingPadding: false), [x], ["grad_x"])
        case "avg_pool2d_k3_s2_p1_ceil":
            return weighted(x.avgPool2d(kernel: 3, stride: 2, padding: 1, ceilMode: true), [x], ["grad_x"])
        case "avg_pool2d_k3_s2_p1_ceil_exclude_pad":
            return weighted(x.avgPool2d(kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludingPadding: false),
                            [x], ["grad_x"])
        case "avg_pool2d_k2_ceil": return weighted(x.avgPool2d(kernel: 2, ceilMode: true), [x], ["grad_x"])
        case "adaptive_avg_pool2d_3x4": return weighted(x.adaptiveAveragePooled(height: 3, width: 4), [x], ["grad_x"])
        case "adaptive_avg_pool2d_up_9x8": return weighted(x.adaptiveAveragePooled(height: 9, width: 8), [x], ["grad_x"])
        case "adaptive_avg_pool2d_vgg_7x7": return weighted(x.adaptiveAveragePooled(height: 7, width: 7), [x], ["grad_x"])
        case "batch_norm_eval":
            let (w, b) = (c.input("weight"), c.input("bias"))
            let y = x.batchNormalized(runningMean: c.input("running_mean"), runningVariance: c.input("running_var"),
                                      weight: w, bias: b)
            return weighted(y, [x, w, b], ["grad_x", "grad_weight", "grad_bias"])
        case "batch_norm_train":
            let (w, b) = (c.input("weight"), c.input("bias"))
            let (y, mean, unbiasedVariance) = x.batchNormalizedWithBatchStatistics(weight: w, bias: b)
            var results = weighted(y, [x, w, b], ["grad_x", "grad_weight", "grad_bias"])
            (results["mean"], results["unbiased_variance"]) = (mean, unbiasedVariance)
            return results
        case "second_derivative_batch_norm_train":
            let (w, b, g, v) = (c.input("weight"), c.input("bias"), c.input("g").detached(), c.input("v").detached())
            let f = (g * x.batchNormalizedWithBatchStatistics(weight: w, bias: b).output).sum()
            let gradX = gradient(of: f, withRespectTo: x, createGraph: true)
            let second = gradients(of: (v * gradX).sum(), withRespectTo: [x, w])
            return ["f": f, "grad_x": gradX, "hvp_x": second[0], "grad_weight_of_v_dot_grad_x": second[1]]
        default:
            Issue.record("no camlab computation for case \(c.name)")
            return [:]
        }
    }

    @Test(arguments: cases)
    func agreesWithPyTorch(_ c: Case) {
        let results = compute(c)
        let keys = ((c.fields["results"] as! [String: Any])["float32"] as! [String: Any]).keys
        for key in keys {
            guard let actual = results[key] else { Issue.record("\(c.name): no result '\(key)'"); continue }
            let (shape, want) = c.expected(key)
            #expect(actual.shape == shape || (shape.isEmpty && actual.count == 1), "\(c.name).\(key): shape \(actual.shape) vs \(shape)")
            let scale = want.map(Swift.abs).max() ?? 0
            let error = largestError(zip(actual.scalars, want).map { Swift.abs(Double($0) - $1) })
            // Float32 in both; only the order of summation differs.
            #expect(error <= 1e-5 * Swift.max(scale, 1), "\(c.name).\(key): off by \(error) (scale \(scale))")
        }
    }
}
