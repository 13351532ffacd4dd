import CamlabCore
import CamlabImaging

extension RGBImage {
    /// The image as a model input [1, channels, height, width] with values in [0, 1] (8-bit / 255),
    /// resized first when its size differs (bilinear, half-pixel centres). One channel means
    /// gray (ITU-R BT.601 luma), three mean RGB.
    public func tensor(channels: Int = 3, height: Int, width: Int) -> Tensor {
        precondition(channels == 1 || channels == 3, "images become 1- or 3-channel tensors, not \(channels)")
        let image = (self.width == width && self.height == height) ? self : resized(toWidth: width, height: height)
        let plane = width * height
        var values = [Float](repeating: 0, count: channels * plane)
        for p in 0..<plane {
            let (r, g, b) = (Float(image.pixels[3 * p]), Float(image.pixels[3 * p + 1]), Float(image.pixels[3 * p + 2]))
            if channels == 1 {
                values[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255
            } else {
                values[p] = r / 255
                values[plane + p] = g / 255
                values[2 * plane + p] = b / 255
            }
        }
        return Tensor(shape: [1, channels, height, width], scalars: values)
    }
}
