/// Whether operations are being recorded for differentiation.
public enum GradientMode {
    @TaskLocal static var isEnabled = true

    /// True unless inside `withoutGradient`, or inside a first-order backward pass.
    public static var isRecording: Bool { isEnabled }
}

/// Runs `body` without recording anything: inference, and updates of parameters.
public func withoutGradient<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradientMode.$isEnabled.withValue(false, operation: body)
}

/// Reverse-mode differentiation: ∂output/∂target for each target, each shaped like its target.
///
/// - Targets may be any tensors of the recorded graph, not only leaves: the CAM methods ask for
///   ∂y^c/∂A^k where A is a layer's output. Only the part of the graph between the output and the
///   targets is visited.
/// - `seed` is the gradient of the output (default ones: the output's sum is differentiated).
/// - With `createGraph`, the backward pass is itself recorded, so the returned gradients can be
///   differentiated again (PyTorch's `create_graph=True`).
/// - `rules` can replace a derivative rule for this one computation (guided backprop).
public func gradients(of output: Tensor, withRespectTo targets: [Tensor], seed: Tensor? = nil,
                      createGraph: Bool = false, rules: DerivativeRules = .standard) -> [Tensor] {
    if let seed {
        precondition(seed.shape == output.shape,
                     "gradients: the seed's shape \(seed.shape) differs from the output's \(output.shape)")
    }
    let order = topologicalOrder(from: output)
    let targetIDs = Set(targets.map(ObjectIdentifier.init))

    // Which tensors lie on a path to some target: only those need gradients.
    var reachesTarget = Set<ObjectIdentifier>()
    for tensor in order {
        let id = ObjectIdentifier(tensor)
        if targetIDs.contains(id) || tensor.inputs.contains(where: { reachesTarget.contains(ObjectIdentifier($0)) }) {
            reachesTarget.insert(id)
        }
    }

    var gradientOf: [ObjectIdentifier: Tensor] = [ObjectIdentifier(output): seed ?? .ones(output.shape)]
    GradientMode.$isEnabled.withValue(createGraph) {
        for tensor in order.reversed() {
            let id = ObjectIdentifier(tensor)
            guard reachesTarget.contains(id), let operation = tensor.operation,
                  let gradient = gradientOf[id] else { continue }
            let needed = tensor.inputs.map { reachesTarget.contains(ObjectIdentifier($0)) }
            guard needed.contains(true) else { continue }
            let parts = rules.inputGradients(operation, tensor.inputs, tensor, gradient, needed: needed)
            for (input, part) in zip(tensor.inputs, parts) {
                guard let part else { continue }
                let inputID = ObjectIdentifier(input)
                guard reachesTarget.contains(inputID) else { continue }
                // The one place broadcasting is undone.
                let shaped = part.shape == input.shape ? part : part.summed(toShape: input.shape)
                gradientOf[inputID] = gradientOf[inputID].map { $0 + shaped } ?? shaped
            }
            if !targetIDs.contains(id) { gradientOf[id] = nil }  // no longer needed: free it
        }
    }
    return targets.map { gradientOf[ObjectIdentifier($0)] ?? .zeros($0.shape) }
}

/// ∂output/∂target for one target.
public func gradient(of output: Tensor, withRespectTo target: Tensor, seed: Tensor? = nil,
                     createGraph: Bool = false, rules: DerivativeRules = .standard) -> Tensor {
    gradients(of: output, withRespectTo: [target], seed: seed, createGraph: createGraph, rules: rules)[0]
}

/// The recorded tensors that `output` depends on, each after all of its inputs.
func topologicalOrder(from output: Tensor) -> [Tensor] {
    var order: [Tensor] = []
    var visited = Set<ObjectIdentifier>()
    var stack: [(tensor: Tensor, inputsDone: Bool)] = [(output, false)]
    while let (tensor, inputsDone) = stack.popLast() {
        if inputsDone { order.append(tensor); continue }
        guard visited.insert(ObjectIdentifier(tensor)).inserted else { continue }
        stack.append((tensor, true))
        for input in tensor.inputs where !visited.contains(ObjectIdentifier(input)) {
            stack.append((input, false))
        }
    }
    return order
}
