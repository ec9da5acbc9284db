/** Configuration, users and tokens (the failovers helper's page; this is the scaffold's placeholder). */
export function AdminPage() {
  return (
    <main class="page">
      <h1>Admin</h1>
    </main>
  );
}
