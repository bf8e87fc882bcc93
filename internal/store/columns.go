package store

// Column is a table's column: its name and SQL type.
type Column struct{ Name, Type string }

// ColumnNames returns the names of cols, in order.
func ColumnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
