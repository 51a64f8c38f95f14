-- The stores of the example pipeline; `make demo` loads this into data/stores.db.
CREATE TABLE stores (id INTEGER PRIMARY KEY, name TEXT NOT NULL, active INTEGER NOT NULL);
INSERT INTO stores VALUES
  (1, 'Aarhus', 1), (2, 'Odense', 1), (3, 'Aalborg', 0), (4, 'Esbjerg', 1), (5, 'Randers', 1),
  (6, 'Kolding', 1), (7, 'Horsens', 1), (8, 'Vejle', 0), (9, 'Roskilde', 1), (10, 'Herning', 1);
