/// The methods camlab computes, by the names used on the command line and in JSON.
public enum MethodName: String, CaseIterable, Sendable {
    case cam, gradcam
    case gradcamPositive = "gradcam-positive"
    case counterfactual, gradcampp
    case gradcamppPaper = "gradcampp-paper"
    case gradcamppExact = "gradcampp-exact"
    case hirescam
    case gradcamElementwise = "gradcam-elementwise"
    case xgradcam, layercam, scorecam, ablationcam, eigencam, eigengradcam, fullgrad, guided
    case guidedGradcam = "guided-gradcam"

    /// The method as its authors named it.
    public var title: String {
        switch self {
        case .cam: "CAM"
        case .gradcam: "Grad-CAM"
        case .gradcamPositive: "Grad-CAM, positive weights"
        case .counterfactual: "Counterfactual Grad-CAM"
        case .gradcampp: "Grad-CAM++"
        case .gradcamppPaper: "Grad-CAM++ (paper's form)"
        case .gradcamppExact: "Grad-CAM++ (exact derivatives)"
        case .hirescam: "HiResCAM"
        case .gradcamElementwise: "Grad-CAM element-wise"
        case .xgradcam: "XGrad-CAM"
        case .layercam: "LayerCAM"
        case .scorecam: "Score-CAM"
        case .ablationcam: "Ablation-CAM"
        case .eigencam: "Eigen-CAM"
        case .eigengradcam: "Eigen-Grad-CAM"
        case .fullgrad: "FullGrad"
        case .guided: "Guided backprop"
        case .guidedGradcam: "Guided Grad-CAM"
        }
    }

    /// The method's defining equation in plain Unicode, for captions and help.
    public var equation: String {
        switch self {
        case .cam: "M^c = Σ_k w_k^c A^k"
        case .gradcam: "α_k^c = (1/Z) Σ_ij ∂y^c/∂A^k_ij,  L = ReLU(Σ_k α_k^c A^k)"
        case .gradcamPositive: "α_k^c = ReLU((1/Z) Σ_ij ∂y^c/∂A^k_ij),  L = ReLU(Σ_k α_k^c A^k)"
        case .counterfactual: "α_k^c = (1/Z) Σ_ij −∂y^c/∂A^k_ij,  L = ReLU(Σ_k α_k^c A^k)"
        case .gradcampp: "w_k^c = Σ_ij α_ij ReLU(g_ij),  α = g² / (2g² + Σ_ab A_ab g³)"
        case .gradcamppPaper: "Y = exp(S^c),  α = ∂²Y / (2∂²Y + Σ_ab A_ab ∂³Y), normalized"
        case .gradcamppExact: "α = ∂²Y/∂A² / (2 ∂²Y/∂A² + Σ_ab A_ab ∂³Y/∂A³), derivatives by autodiff"
        case .hirescam: "L = Σ_k ∂y^c/∂A^k ⊙ A^k"
        case .gradcamElementwise: "L = Σ_k ReLU(∂y^c/∂A^k ⊙ A^k)"
        case .xgradcam: "α_k^c = Σ_ij (A^k_ij / Σ_ab A^k_ab) ∂y^c/∂A^k_ij"
        case .layercam: "L = Σ_k ReLU(∂y^c/∂A^k) ⊙ A^k"
        case .scorecam: "α^c = softmax_k y^c(X ⊙ norm(up(A^k)))"
        case .ablationcam: "α_k^c = (y^c − y^c_k) / y^c"
        case .eigencam: "L = X v₁,  X = [A^1 … A^K] centred"
        case .eigengradcam: "L = X v₁,  X = [g^1 ⊙ A^1 … g^K ⊙ A^K] centred"
        case .fullgrad: "S = ψ(|∂y/∂x ⊙ x|) + Σ_l Σ_k ψ(|b_k ∂y/∂Z_k|)"
        case .guided: "R^l = (f^l > 0)(R^{l+1} > 0) R^{l+1}"
        case .guidedGradcam: "guided backprop ⊙ Grad-CAM"
        }
    }

    /// The implementation for the methods that explain through one layer.
    var layerMethod: CAMMethod? {
        switch self {
        case .cam: CAM()
        case .gradcam: GradCAM()
        case .gradcamPositive: GradCAMPositive()
        case .counterfactual: Counterfactual()
        case .gradcampp: GradCAMPlusPlus()
        case .gradcamppPaper: GradCAMPlusPlusPaper()
        case .gradcamppExact: GradCAMPlusPlusExact()
        case .hirescam: HiResCAM()
        case .gradcamElementwise: GradCAMElementwise()
        case .xgradcam: XGradCAM()
        case .layercam: LayerCAM()
        case .scorecam: ScoreCAM()
        case .ablationcam: AblationCAM()
        case .eigencam: EigenCAM()
        case .eigengradcam: EigenGradCAM()
        case .fullgrad, .guided, .guidedGradcam: nil
        }
    }

    /// The score explained unless the caller says otherwise.
    public var defaultTarget: ExplanationTarget { self == .counterfactual ? .negated : .logit }

    /// Whether the method produces a heatmap (guided backprop produces an input-space gradient).
    public var producesMap: Bool { self != .guided && self != .guidedGradcam }

    /// Looks a name up, accepting the REPL's spellings without dashes (`guidedgradcam`).
    public init?(name: String) {
        let key = name.lowercased()
        if let exact = MethodName(rawValue: key) { self = exact; return }
        guard let loose = MethodName.allCases.first(where: { $0.rawValue.replacingOccurrences(of: "-", with: "") == key })
        else { return nil }
        self = loose
    }
}
