# Step 2 of scripts/fix-citations (GNU sed -E, LC_ALL=C): resolve the markers of
# cite-qualify.sed to the repository's own documents, rewrite plain mentions of outside files,
# and merge "docs/x.md §A, docs/x.md §B" into "docs/x.md §A, §B". Numbered sections are those of
# the outside documents; the anchors are the named sections of the docs/ pages.

# --- the reference → docs/ioctl-abi.md, docs/kernels.md, docs/i2o-formats.md ---------------
s/@@REF@@§0([^0-9]|$)/docs\/kernels.md §Sources\1/g
s/@@REF@@§1([^0-9]|$)/docs\/ioctl-abi.md §Node\1/g
s/@@REF@@§2([^0-9]|$)/docs\/ioctl-abi.md §Numbers\1/g
s/@@REF@@§3\.7([^0-9]|$)/docs\/kernels.md §Compat32\1/g
s/@@REF@@§3(\.[1-6])?([^0-9]|$)/docs\/ioctl-abi.md §Layouts\2/g
s/@@REF@@§4\.1([^0-9]|$)/docs\/kernels.md §FrameGet\1/g
s/@@REF@@§4\.2([^0-9]|$)/docs\/kernels.md §PostWait\1/g
s/@@REF@@§4\.3([^0-9]|$)/docs\/kernels.md §ParmIssue\1/g
s/@@REF@@§4([^0-9]|$)/docs\/kernels.md §Core\1/g
s/@@REF@@§5\.10([^0-9]|$)/docs\/kernels.md §EVTREG\1/g
s/@@REF@@§5\.11([^0-9]|$)/docs\/kernels.md §EVTGET\1/g
s/@@REF@@§5\.12([^0-9]|$)/docs\/kernels.md §PASSTHRU\1/g
s/@@REF@@§5\.13([^0-9]|$)/docs\/kernels.md §Errnos\1/g
s/@@REF@@§5\.1([^0-9]|$)/docs\/kernels.md §GETIOPS\1/g
s/@@REF@@§5\.2([^0-9]|$)/docs\/kernels.md §HRTGET\1/g
s/@@REF@@§5\.3([^0-9]|$)/docs\/kernels.md §LCTGET\1/g
s/@@REF@@§5\.4([^0-9]|$)/docs\/kernels.md §PARMGET\1/g
s/@@REF@@§5\.5([^0-9]|$)/docs\/kernels.md §SWDL\1/g
s/@@REF@@§5\.6([^0-9]|$)/docs\/kernels.md §SWUL\1/g
s/@@REF@@§5\.7([^0-9]|$)/docs\/kernels.md §SWDEL\1/g
s/@@REF@@§5\.8([^0-9]|$)/docs\/kernels.md §VALIDATE\1/g
s/@@REF@@§5\.9([^0-9]|$)/docs\/kernels.md §HTML\1/g
s/@@REF@@§5([^0-9.]|\.[^0-9]|\.?$)/docs\/kernels.md §Ioctls\1/g
s/@@REF@@§6([^0-9]|$)/docs\/kernels.md §Frames\1/g
s/@@REF@@§7\.10([^0-9]|$)/docs\/i2o-formats.md §Status\1/g
s/@@REF@@§7\.11([^0-9]|$)/docs\/i2o-formats.md §Events\1/g
s/@@REF@@§7\.1([^0-9]|$)/docs\/i2o-formats.md §Header\1/g
s/@@REF@@§7\.2([^0-9]|$)/docs\/i2o-formats.md §SGL\1/g
s/@@REF@@§7\.3([^0-9]|$)/docs\/i2o-formats.md §HRT\1/g
s/@@REF@@§7\.4([^0-9]|$)/docs\/i2o-formats.md §LCT\1/g
s/@@REF@@§7\.5([^0-9]|$)/docs\/i2o-formats.md §StatusBlock\1/g
s/@@REF@@§7\.6([^0-9]|$)/docs\/i2o-formats.md §ParamLists\1/g
s/@@REF@@§7\.7([^0-9]|$)/docs\/i2o-formats.md §Classes\1/g
s/@@REF@@§7\.8([^0-9]|$)/docs\/i2o-formats.md §Groups\1/g
s/@@REF@@§7\.9([^0-9]|$)/docs\/i2o-formats.md §Functions\1/g
s/@@REF@@§7([^0-9.]|\.[^0-9]|\.?$)/docs\/i2o-formats.md\1/g
s/@@REF@@§8([^0-9]|$)/docs\/dpt-protocol.md §Access\1/g
s/@@REF@@§9([^0-9]|$)/docs\/kernels.md §Seed\1/g
s/@@REF@@§10([^0-9]|$)/docs\/kernels.md §Sources\1/g

# --- the DPT firmware notes → docs/dpt-protocol.md ---------------------------------------
s/@@DPT@@§6 "Errors"/docs\/dpt-protocol.md §Errors/g
s/@@DPT@@§4([^0-9]|$)/docs\/dpt-protocol.md §Access\1/g
s/@@DPT@@§5([^0-9]|$)/docs\/dpt-protocol.md §Frames\1/g
s/@@DPT@@§6([^0-9]|$)/docs\/dpt-protocol.md §Engine\1/g
s/@@DPT@@§7([^0-9]|$)/docs\/dpt-protocol.md §Traffic\1/g
s/@@DPT@@§8([^0-9]|$)/docs\/dpt-protocol.md §Model\1/g
s/@@DPT@@§9\.4([^0-9]|$)/docs\/dpt-protocol.md §Consistency\1/g
s/@@DPT@@§9(\.[0-9])?([^0-9]|$)/docs\/dpt-protocol.md §Requirements\2/g
s/@@DPT@@§10([^0-9]|$)/docs\/dpt-protocol.md §Open\1/g
s/@@DPT@@§11\.[12]([^0-9]|$)/docs\/dpt-protocol.md §Open\1/g
s/@@DPT@@§11(\.[0-9])?([^0-9]|$)/docs\/dpt-protocol.md §Management\2/g

# --- the real-card logs → docs/fixture-sources.md ----------------------------------------
s/@@CARDS@@§1\.1([^0-9]|$)/docs\/fixture-sources.md §L1\1/g
s/@@CARDS@@§1\.2([^0-9]|$)/docs\/fixture-sources.md §L2\1/g
s/@@CARDS@@§1\.3([^0-9]|$)/docs\/fixture-sources.md §L3\1/g
s/@@CARDS@@§1([^0-9.]|\.[^0-9]|\.?$)/docs\/fixture-sources.md §Listings\1/g
s/@@CARDS@@§2([^0-9]|$)/docs\/fixture-sources.md §BootLogs\1/g
s/@@CARDS@@§3([^0-9]|$)/docs\/fixture-sources.md §HRT\1/g
s/@@CARDS@@§4([^0-9]|$)/docs\/fixture-sources.md §DPT\1/g
s/@@CARDS@@§5([^0-9]|$)/docs\/fixture-sources.md §PCI\1/g
s/@@CARDS@@§6([^0-9]|$)/docs\/fixture-sources.md §Failures\1/g

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
