import Testing
@testable import CamlabMethods

/// Score-CAM scores each distinct mask once; finding them must neither merge different masks nor
/// miss equal ones, whatever the plane size (whole blocks of eight floats or not).
struct DistinctPlanesTests {
    @Test(arguments: [1, 7, 8, 13, 1024])
    func equalPlanesPointToTheFirstOfTheirKind(size: Int) {
        var state: UInt64 = UInt64(size)
        func plane() -> [Float] {
            (0..<size).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(state >> 40) / Float(1 << 24)
            }
        }
        let (a, b, zero) = (plane(), plane(), [Float](repeating: 0, count: size))
        var lastDiffers = a
        lastDiffers[size - 1] += 1                        // differs in the very last float only
        var firstDiffers = a
        firstDiffers[0] = -firstDiffers[0] - 1
        let planes = [zero, a, b, zero, a, lastDiffers, firstDiffers, b, zero, lastDiffers]
        let firstEqual = DistinctPlanes.firstEqual(in: planes.flatMap { $0 }, planeSize: size)
        #expect(firstEqual == [0, 1, 2, 0, 1, 5, 6, 2, 0, 5])
    }

    @Test func signedZerosAreDifferentBits() {
        #expect(DistinctPlanes.firstEqual(in: [0, 1, -0.0, 1, 0, 1], planeSize: 2) == [0, 1, 0])
    }
}
