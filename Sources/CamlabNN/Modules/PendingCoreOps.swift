// TEMPORARY until the ops branch is merged: deleted then.
import CamlabCore
extension Tensor {
    func conv2d(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int) -> Tensor {
        precondition(dilation == 1 && groups == 1); return conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
    }
    func conv2dReLU(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int) -> Tensor {
        precondition(dilation == 1 && groups == 1); return conv2dReLU(weight: weight, bias: bias, stride: stride, padding: padding)
    }
    func maxPool2d(kernel: Int, stride: Int, padding: Int, dilation: Int, ceilMode: Bool) -> Tensor {
        precondition(dilation == 1 && !ceilMode); return maxPool2d(kernel: kernel, stride: stride, padding: padding)
    }
    func avgPool2d(kernel: Int, stride: Int, padding: Int, ceilMode: Bool, countIncludingPadding: Bool) -> Tensor {
        precondition(!ceilMode); return avgPool2d(kernel: kernel, stride: stride, padding: padding)
    }
    func adaptiveAveragePooled(height: Int, width: Int) -> Tensor { fatalError() }
    func batchNormalized(runningMean: Tensor, runningVariance: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let c = [1, shape[1], 1, 1]
        return (self - runningMean.reshaped(to: c)) / (runningVariance.reshaped(to: c) + epsilon).sqrt() * weight.reshaped(to: c) + bias.reshaped(to: c)
    }
    func batchNormalizedWithBatchStatistics(weight: Tensor, bias: Tensor, epsilon: Float) -> (output: Tensor, mean: Tensor, unbiasedVariance: Tensor) {
        fatalError()
    }
}
