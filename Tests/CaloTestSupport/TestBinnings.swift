/// Binning files the tests write.
public enum TestBinnings {
    /// A CaloChallenge binning too fine for one Flow II (2404 voxels) whose layers differ in size
    /// (1200, 1200, 4), so iCaloFlow's shared layer flow cannot model it either.
    public static let unevenFine: String = {
        let edges = (0...30).map { String($0) }.joined(separator: ",")
        return """
            <Bins><Bin pid="11" name="electron">
              <Layer id="0" r_edges="\(edges)" n_bin_alpha="40"/>
              <Layer id="1" r_edges="\(edges)" n_bin_alpha="40"/>
              <Layer id="2" r_edges="0,5,10" n_bin_alpha="2"/>
            </Bin></Bins>
            """
    }()
}
