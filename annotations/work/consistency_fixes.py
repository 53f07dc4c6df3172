# Lead adjudication applied once to the gold (kept as the record of the change); see consistency.md.
import sys
from nkner.corpus.store import load_document, write_document, Entity, Relation
def get(doc, s, e):
    return next((x for x in doc.entities if x.start == s and x.end == e), None)
def new_id(doc): return max([x.id for x in doc.entities] + [0]) + 1
def new_rid(doc): return max([x.id for x in doc.relations] + [0]) + 1
def add(doc, s, e, label, et=None):
    ent = Entity(new_id(doc), s, e, label, et); doc.entities.append(ent); return ent
def rel(doc, h, t, typ): doc.relations.append(Relation(new_rid(doc), h.id, t.id, typ))
def drop(doc, ent):
    doc.entities.remove(ent); doc.relations = [r for r in doc.relations if ent.id not in (r.from_id, r.to_id)]
def show(doc, s, e): print(doc.id, s, e, repr(doc.text[s:e]), get(doc, s, e))
dry = sys.argv[1] == 'dry'
d0, d1, d4 = (load_document(x) for x in ('000_d2cb8ed886a0f5fe', '001_bc4fffce1c9afb7e', '004_f906a5d173e9d91e'))
for d, s, e in [(d0,9404,9417),(d4,5122,5131),(d1,13968,13989),(d1,14013,14050),(d1,13968,14050),(d1,15255,15276),(d1,15300,15337),(d1,1090,1099),(d1,13367,13376),(d4,402,411),(d0,15762,15771),(d0,4224,4229),(d0,4099,4107),(d0,1013,1019),(d0,6263,6269)]:
    show(d, s, e)
if dry: sys.exit()
get(d0, 9404, 9417).event_type = 'abuse'                                    # F1
drop(d4, get(d4, 5122, 5131))                                               # F2
for a, b, c in ((13968, 13989, 14050), (15255, 15276, 15337)):              # F3, F4
    actor, loc = get(d1, a, b), get(d1, 14013 if a == 13968 else 15300, c)
    drop(d1, loc)
    actor.end = c
ev = next(x for x in d1.entities if d1.text[x.start:x.end] == 'made it out')   # F5
rel(d1, ev, add(d1, 1090, 1099, 'LOCATION'), 'place')
add(d1, 13367, 13376, 'ACTOR')                                              # F5b
add(d4, 402, 411, 'LOCATION')                                               # F5c
terr = add(d0, 15762, 15771, 'LOCATION')                                    # F6
reach6 = [x for x in d0.entities if x.label == 'EVENT' and d0.text[x.start:x.end] == 'reach' and abs(x.start - 15762) < 200]
print('reach near territory:', [(x.start, x.end) for x in reach6])
for x in reach6: rel(d0, x, terr, 'place')
r7 = add(d0, 4224, 4229, 'EVENT', 'flight'); rel(d0, r7, get(d0, 4099, 4107), 'agent')   # F7
add(d0, 1013, 1019, 'EVENT', 'crisis'); add(d0, 6263, 6269, 'EVENT', 'crisis')          # F9
for d in (d0, d1, d4):
    d.meta.setdefault('adjudication', []).append('lead: corpus-wide consistency fixes F1-F7, F9 of annotations/work/consistency.md')
    write_document(d)
print('done')
