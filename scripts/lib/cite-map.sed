# Step 2 of scripts/fix-citations (GNU sed -E, LC_ALL=C), after the map (cite-map.txt, which
# resolves the markers of cite-qualify.sed to the repository's own documents): report what the
# map did not resolve, rewrite plain mentions of outside files, and merge "docs/x.md §A,
# docs/x.md §B" into "docs/x.md §A, §B".

# A section the map does not know: put the outside name back, for the final check to report.
s/@@REF@@§/i2o-reference.md §/g
s/@@DPT@@§/dpt-firmware.md §/g
s/@@CARDS@@§/real-cards.md §/g

# --- plain mentions of outside files -------------------------------------------------------
s/`((\/work\/)?shared\/)?seeds\/ioctl\.txt`/`docs\/ioctl-abi.md` §Seed/g
s/((\/work\/)?shared\/)?seeds\/ioctl\.txt/docs\/ioctl-abi.md §Seed/g
s/(\/work\/)?shared\/contract\.md/docs\/contract.md/g
s/(\/work\/)?shared\/real-cards\.md/docs\/fixture-sources.md/g
s/(\/work\/)?shared\/dpt-firmware\.md/docs\/dpt-protocol.md/g
s/the seed document's interface/the interface of the seed document (docs\/ioctl-abi.md §Seed)/g
s/Flag-byte values from the reference\./Flag-byte values (docs\/i2o-formats.md §SGL)./g
s/ \((V18|L2420) / (/g

# --- "docs/x.md §A, docs/x.md §B" → "docs/x.md §A, §B" -----------------------------------
:merge
s/(docs\/[a-z0-9-]+\.md)( §[A-Za-z0-9]+( "[A-Za-z]+"| #[0-9#–-]+| step [0-9]+)?((, | and |, and | \/ |\/|–|-)§[A-Za-z0-9]+( "[A-Za-z]+"| #[0-9#–-]+| step [0-9]+)?)*)(, | and |, and | \/ |\/|–|-)\1 §/\1\2\7§/
t merge
