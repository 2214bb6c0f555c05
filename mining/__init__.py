"""Pure mining functions over the warehouse: DFG, variants, value stream, bottlenecks,
rework, contacts, journeys, deadlines. Never imports Prefect, Streamlit or a connector."""
