/// The lessons' network and how their trained copy was made (`Models/README.md` shows the
/// same recipe as commands).
public enum LessonRecipe {
    /// The tiny GAP ConvNet of the lessons and the reference model (`Models/tiny32.json`):
    /// three 3×3 convolutions (16, 32, 64 filters) with ReLU, one 2×2 max pool, global average
    /// pooling and a linear classifier over the four shape classes; 32×32 RGB input.
    public static let architecture = Architecture(
        input: [3, 32, 32], mean: [0, 0, 0], std: [1, 1, 1],
        classes: ["circle", "square", "triangle", "cross"],
        layers: [
            .conv2d(name: "features.0", in: 3, out: 16, kernel: 3, stride: 1, padding: 1),
            .relu(name: "features.1"),
            .conv2d(name: "features.2", in: 16, out: 32, kernel: 3, stride: 1, padding: 1),
            .relu(name: "features.3"),
            .maxPool2d(name: "features.4", kernel: 2, stride: 2),
            .conv2d(name: "features.5", in: 32, out: 64, kernel: 3, stride: 1, padding: 1),
            .relu(name: "features.6"),
            .globalAvgPool(name: "gap"),
            .linear(name: "classifier", in: 64, out: 4),
        ],
        targetLayer: "features.6")

    /// The training that made `Models/shapes-tiny32.safetensors` from the `train/` split of
    /// `camlab data make shapes` (5,000 images, seed 1).
    public static let options = TrainingOptions(epochs: 10, batchSize: 64, learningRate: 2e-3, optimizer: .adam, seed: 1)
}
