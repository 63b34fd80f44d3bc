"""申报 Declaration service. Payers (参保单位 registry), monthly declarations (月度申报), corrections and voids."""
