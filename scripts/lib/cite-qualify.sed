# Step 1 of scripts/fix-citations (GNU sed -E, LC_ALL=C): turn every citation of a document
# that lives outside the repository into a marker the map (cite-map.txt) resolves:
#   @@REF@@§N    the I2O ioctl reference (i2o-reference.md, "reference §N")
#   @@DPT@@§N    the DPT firmware notes (dpt-firmware.md)
#   @@CARDS@@§N  the real-card logs (real-cards.md)
# Between the two steps the script may mark bare "§N" of a file whose only outside document is
# known (cite-bare). Patterns never match their own output, so the whole run is idempotent.

# The reference. i2o-reference.md first: "reference §" would match inside its name.
s/`?((\/work\/)?shared\/)?i2o-reference\.md`? §/@@REF@@§/g
s/(^|[^A-Za-z-])[Rr]eference §/\1@@REF@@§/g
s/§([0-9][0-9.]*[0-9]|[0-9]) of the reference/@@REF@@§\1/g
s/(^|[^A-Za-z-])reference ([0-9]+\.[0-9]+)/\1@@REF@@§\2/g

# The DPT firmware notes ("dpt-firmware §8" without .md in the fixtures' tables).
s/`?((\/work\/)?shared\/)?dpt-firmware(\.md)?`? §/@@DPT@@§/g

# The real-card logs.
s/`?((\/work\/)?shared\/)?real-cards(\.md)?`? §/@@CARDS@@§/g

# Lists: "reference §5.2, §5.3", "dpt-firmware.md §6, §8 #4–#6", "§4-§8" — every section after
# a marked one belongs to the same document.
:list
s/(@@(REF|DPT|CARDS)@@§[0-9][0-9.]*( "[A-Za-z]+"| #[0-9]+(–#[0-9]+|-#[0-9]+)?| step [0-9]+)?(, | and |, and | \/ |\/|–|-))§([0-9])/\1@@\2@@§\6/
t list
